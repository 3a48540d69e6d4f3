// The records the parenthesis study across training returns: one row per checkpoint step (and depth, head), nothing rendered.
namespace SharpLens.Analysis.Parens;

/// <summary>Options of <see cref="ParensDynamics"/>: the study's prompt options (the same prompts at every step) and the head set size.</summary>
public sealed record ParensDynamicsOptions
{
    /// <summary>Depths, prompts per depth, dataset, seed, batch and already-closed range; ablation and viewer options are not used.</summary>
    public ParensStudyOptions Study { get; init; } = new() { N = 100, Batch = 64 };
    /// <summary>Size of the top counting-head set compared across steps.</summary>
    public int TopK { get; init; } = 5;
}

/// <summary>Run facts: the architecture (the same at every step), the prompts, and each checkpoint with its wall time.</summary>
public sealed record DynamicsInfo(string Architecture, int NLayers, int NHeads, int DModel, int DVocab, string DType, string Dataset,
    IReadOnlyList<int> Depths, int NPerDepth, long Seed, int Batch, int Prompts, int ClosedPrompts, int TopK, IReadOnlyList<DynamicsStep> Steps);

/// <summary>One checkpoint: its step, folder and the seconds its measurement took (load included).</summary>
public sealed record DynamicsStep(long Step, string Checkpoint, double Seconds);

/// <summary>The architecture and dtype a checkpoint loaded with (the same at every step of a series).</summary>
public sealed record DynamicsModel(string Architecture, int NLayers, int NHeads, int DModel, int DVocab, string DType);

/// <summary>One checkpoint's rows, before the series is assembled (what a shard of a sharded run stores per step).</summary>
public sealed record DynamicsStepResult(DynamicsStep Step, DynamicsModel Model, IReadOnlyList<StepAccuracyRow> Accuracy, IReadOnlyList<StepLensRow> FirstTop1,
    IReadOnlyList<StepAttributionRow> Attribution, IReadOnlyList<StepHeadRow> Heads);

/// <summary>Greedy accuracy at one step for one (variant, depth); Depth 0 = all. Same numbers as the study's <see cref="AccuracyRow"/>.</summary>
public sealed record StepAccuracyRow(long Step, string Variant, int Depth, int N, int Correct, double Accuracy, double MeanLabelProb, double MeanLogitDiff);

/// <summary>
/// Logit lens at one step: the first site where most prompts of a depth rank the answer top-1 (the study's
/// <see cref="FirstTop1Row"/>). <see cref="FirstLayer"/> is −1 for the embeddings (resid_pre 0) and l for resid_post l,
/// null when no site reaches a majority; <see cref="MeanFirstLayer"/> averages the same index per prompt.
/// </summary>
public sealed record StepLensRow(long Step, int Depth, string? Site, int? FirstLayer, double Top1Fraction, double MeanFirstLayer, int PromptsNeverTop1);

/// <summary>Direct logit attribution of label − counterfactual at one step (the study's <see cref="DlaSummary"/>): attention and MLP totals.</summary>
public sealed record StepAttributionRow(long Step, int Depth, int N, double Attn, double Mlp, double Embed, double MeanLogitDiff, double MaxAbsError);

/// <summary>One head's counting score at one step (the study's <see cref="CountingHeadRow"/>); <see cref="Top"/> marks the top-k set.</summary>
public sealed record StepHeadRow(long Step, int Rank, int Layer, int Head, double Score, double CorrectRate, double ClosedRate, double CorrAttnClosed,
    string Verdict, bool Top);

/// <summary>
/// Whether the top-k counting heads persist: the set at this step (by rank), its overlap and Jaccard index with the
/// final step's set and with the previous step's (NaN at the first step, or when a set is empty).
/// </summary>
public sealed record StepPersistenceRow(long Step, string TopHeads, int OverlapWithFinal, double JaccardFinal, double JaccardPrevious);

/// <summary>Everything the study across training computed.</summary>
public sealed record ParensDynamicsResult
{
    public required DynamicsInfo Info { get; init; }
    /// <summary>How the tokenizer treats the labels (the same at every step: one tokenizer).</summary>
    public required IReadOnlyList<LabelCheck> LabelChecks { get; init; }
    public required IReadOnlyList<StepAccuracyRow> Accuracy { get; init; }
    public required IReadOnlyList<StepLensRow> FirstTop1 { get; init; }
    public required IReadOnlyList<StepAttributionRow> Attribution { get; init; }
    /// <summary>Every head at every step (the top-k flagged).</summary>
    public required IReadOnlyList<StepHeadRow> Heads { get; init; }
    public required IReadOnlyList<StepPersistenceRow> Persistence { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
}
