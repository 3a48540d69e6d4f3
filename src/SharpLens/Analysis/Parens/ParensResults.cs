// The records the parenthesis study returns (reports serialise these; nothing here renders).
namespace SharpLens.Analysis.Parens;

/// <summary>Options of <see cref="ParensStudy.Run"/>.</summary>
public sealed record ParensStudyOptions
{
    public IReadOnlyList<int> Depths { get; init; } = [1, 2, 3, 4];
    /// <summary>Prompts per depth.</summary>
    public int N { get; init; } = 150;
    /// <summary>"template", "mined" or a JSONL file path.</summary>
    public string Dataset { get; init; } = "template";
    /// <summary>Folder of source files for the mined dataset.</summary>
    public string? Source { get; init; }
    public long Seed { get; init; }
    /// <summary>Prompts per cached pass; ablation passes (no caches) use 4 × this.</summary>
    public int Batch { get; init; } = 16;
    /// <summary>Prompts per depth used for the ablations (each ablation is a forward pass over them).</summary>
    public int AblationN { get; init; } = 20;
    /// <summary>Heads (by |mean attribution|) whose attention is grouped by token role.</summary>
    public int TopHeads { get; init; } = 8;
    /// <summary>Prompts per depth in the HTML attention viewer.</summary>
    public int ViewerPerDepth { get; init; } = 4;
    /// <summary>Already-closed variant: c drawn from 1..MaxClosed.</summary>
    public int MaxClosed { get; init; } = 3;
}

/// <summary>A stage of the study and how far it got (for progress bars).</summary>
public sealed record StudyProgress(string Stage, int Done, int Total);

/// <summary>Model, data and run facts.</summary>
public sealed record StudyInfo(string Model, string Architecture, int NLayers, int NHeads, int DModel, int DVocab, string DType,
    string Dataset, IReadOnlyList<int> Depths, int NPerDepth, long Seed, int Batch, int Prompts, int ClosedPrompts, int AblationPrompts,
    IReadOnlyList<int> ParenTokenIds, IReadOnlyList<string> ParenTokens, IReadOnlyDictionary<string, double> StageSeconds);

/// <summary>Greedy accuracy for one (variant, depth); <see cref="Depth"/> 0 = all depths.</summary>
public sealed record AccuracyRow(string Variant, int Depth, int N, int Correct, double Accuracy, double MeanLabelProb,
    double MeanLogitDiff, double LogitDiffLo, double LogitDiffHi);

/// <summary>Logit lens at one site, averaged over the prompts of one depth, with 95% intervals (normal approximation).</summary>
public sealed record LensRow(int Depth, string Site, int Layer, int N, double MeanProb, double ProbLo, double ProbHi, double MeanRank,
    double Top1Fraction, double MeanLogitDiff, double LogitDiffLo, double LogitDiffHi);

/// <summary>The first site (resid_pre 0, resid_post 0, resid_post 1, …) where most prompts of a depth rank the answer top-1.</summary>
public sealed record FirstTop1Row(int Depth, string? Site, int? Layer, double Top1Fraction, double MeanFirstLayer, int PromptsNeverTop1);

/// <summary>Mean attribution of one layer's attention (heads + o_proj bias) and MLP to label − counterfactual; Depth 0 = all.</summary>
public sealed record DlaLayerRow(int Depth, int Layer, double Attn, double AttnLo, double AttnHi, double AttnBias, double Mlp, double MlpLo, double MlpHi);

/// <summary>Mean attribution of one head; Depth 0 = all.</summary>
public sealed record DlaHeadRow(int Depth, int Layer, int Head, double Mean, double Lo, double Hi);

/// <summary>Per depth: embedding, norm/unembedding bias terms, attention and MLP totals, and the identity check.</summary>
public sealed record DlaSummary(int Depth, int N, double Embed, double NormBias, double UnembedBias, double TotalAttn, double TotalMlp,
    double MeanSum, double MeanActual, double MaxAbsError);

/// <summary>Where a top head's final position attends, by token role (mean attention mass over the prompts).</summary>
public sealed record RoleAttentionRow(int Layer, int Head, double Attribution, double OpenParen, double CloseParen, double Str,
    double Digits, double Print, double Other);

/// <summary>
/// A head on the already-closed prompts: how often its output, projected on the paren tokens, ranks the missing count
/// best (<see cref="CorrectRate"/>) or the already-closed count best (<see cref="ClosedRate"/>, over prompts with c ≠ d),
/// its mean attention to ")" tokens and that attention's Pearson correlation with c.
/// </summary>
public sealed record CountingHeadRow(int Rank, int Layer, int Head, int N, double CorrectRate, double ClosedRate, double MeanAttnToClose,
    double CorrAttnClosed, double Score, string Verdict);

/// <summary>Effect of ablating one target on the ablation prompts of one depth (0 = all).</summary>
public sealed record AblationRow(string Target, string Kind, int Layer, int Head, string Mode, int Depth, int N, double Accuracy,
    double DeltaAccuracy, double MeanLogitDiff, double DeltaLogitDiff, bool ImprovesAccuracy);

/// <summary>One prompt of the attention viewer: tokens, roles and the final position's attention [layer][head][token].</summary>
public sealed record ViewerPrompt(string Id, int Depth, string Label, string Predicted, IReadOnlyList<string> Tokens,
    IReadOnlyList<string> Roles, float[][][] Attention);

/// <summary>One claim of the paper next to what this model does.</summary>
public sealed record ClaimRow(string Topic, string Paper, string ThisModel, string Verdict);

/// <summary>Everything the study computed.</summary>
public sealed record ParensStudyResult
{
    public required StudyInfo Info { get; init; }
    public required IReadOnlyList<LabelCheck> LabelChecks { get; init; }
    public required IReadOnlyList<AccuracyRow> Accuracy { get; init; }
    public required IReadOnlyList<LensRow> LogitLens { get; init; }
    public required IReadOnlyList<FirstTop1Row> FirstTop1 { get; init; }
    public required IReadOnlyList<DlaSummary> DlaSummary { get; init; }
    public required IReadOnlyList<DlaLayerRow> DlaLayers { get; init; }
    public required IReadOnlyList<DlaHeadRow> DlaHeads { get; init; }
    public required IReadOnlyList<RoleAttentionRow> AttentionByRole { get; init; }
    public required IReadOnlyList<CountingHeadRow> CountingHeads { get; init; }
    public required IReadOnlyList<AblationRow> Ablation { get; init; }
    public required IReadOnlyList<ViewerPrompt> Viewer { get; init; }
    public required IReadOnlyList<ClaimRow> Claims { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
}
