// The records `ssm-study` returns (reports serialise these; nothing here renders or writes).
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.Probes;
using SharpLens.Analysis.Spectra;

namespace SharpLens.Analysis.SsmInterpret;

/// <summary>Options of <see cref="SsmStudy.Run"/>.</summary>
public sealed record SsmStudyOptions
{
    /// <summary>Probe settings shared by every model; <see cref="ProbeStudyOptions.Layers"/> overrides the paper mapping.</summary>
    public ProbeStudyOptions Probe { get; init; } = new();
    /// <summary>S4D kernel length L of the spectra (n_bins = L/2+1; the paper uses 4,096).</summary>
    public int KernelLength { get; init; } = 4096;
    /// <summary>Mamba effective kernels: functions of the pairs used as the corpus, and the longest lag.</summary>
    public int MambaFunctions { get; init; } = 32;
    /// <summary>Mamba effective kernels: lags (and tokens per function) measured.</summary>
    public int MambaMaxLag { get; init; } = 256;
}

/// <summary>One probing task's pairs, read from <see cref="Source"/>.</summary>
public sealed record TaskPairs(string Task, string Source, IReadOnlyList<PairRecord> Pairs)
{
    public int Train => Pairs.Count(p => p.IsTrain);
    public int Test => Pairs.Count(p => !p.IsTrain);
}

/// <summary>A model of the manifest as the report shows it.</summary>
public sealed record StudyModel(string Name, string Folder, string Role, string Variant, string? From, string Architecture, int NLayers, int DModel,
    long Parameters, int? ConvKernelSize);

/// <summary>Paper layer (1-based block output of 12; null when --layers overrides) → probed layer (0-based hook_resid_post index).</summary>
public sealed record LayerMapRow(string Model, int NLayers, int? PaperLayer, int Layer);

/// <summary>Pairs of one task as the study used them.</summary>
public sealed record TaskRow(string Task, string Source, int Pairs, int Train, int Test, int PaperTrain, int PaperTest, int Labels);

/// <summary>Feature extraction for one (model, task): from the cache or computed.</summary>
public sealed record FeatureRow(string Model, string Task, int Functions, int FunctionsTruncated, int PairsKept, int PairsSkipped, int PairsSameTokens,
    int MaxTokens, bool Cached, double Seconds);

/// <summary>One kernel's spectral metrics (full arrays stay out of results.json; they are recomputable from the weights).</summary>
public sealed record KernelRow(string Model, string Role, string Variant, string Kind, int Layer, string Direction, int Length, int NBins, int DominantBin,
    double DominantFrequency, double Centroid, double Log10LowHighRatio, string Class);

/// <summary>Pretrained → fine-tuned change of one kernel (the shift table).</summary>
public sealed record ShiftRow(string Role, string Variant, int Layer, string Direction, string ClassBefore, string ClassAfter,
    double CentroidBefore, double CentroidAfter, double CentroidChange, double RatioBefore, double RatioAfter, double RatioChange,
    double DominantBefore, double DominantAfter)
{
    /// <summary>Toward short range: the centroid rises and the low/high ratio falls, each beyond <see cref="SsmClaims"/>' tolerances.</summary>
    public bool TowardHighFrequency => CentroidChange > SsmClaims.CentroidTolerance && RatioChange < -SsmClaims.RatioTolerance;
}

/// <summary>A fine-tuned model's recorded scores (from its folder's finetune_result.json); null when not recorded.</summary>
public sealed record ScoreRow(string Model, string Role, string Variant, double? Accuracy, double? MacroF1, double? Mrr, string Source);

/// <summary>Mean probe test accuracy over the probed layers, pretrained vs a fine-tuned variant (Change = after − before).</summary>
public sealed record RetentionRow(string Role, string Variant, string Task, string Probe, double Before, double After, double Change, int Layers);

/// <summary>Everything one run of the study measured.</summary>
public sealed record SsmStudyResult(
    string Manifest,
    IReadOnlyList<StudyModel> Models,
    IReadOnlyList<TaskRow> Tasks,
    IReadOnlyList<LayerMapRow> LayerMap,
    IReadOnlyList<FeatureRow> Features,
    IReadOnlyList<ProbeRow> Probes,
    IReadOnlyList<KernelRow> Kernels,
    IReadOnlyList<ShiftRow> Shifts,
    IReadOnlyList<ScoreRow> Scores,
    IReadOnlyList<RetentionRow> Retention,
    IReadOnlyList<ClaimRow> Claims,
    IReadOnlyList<string> Notes,
    IReadOnlyDictionary<string, double> StageSeconds,
    object Settings)
{
    /// <summary>Full kernels and magnitude responses per model (for the HTML figures; not serialised).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<ModelKernels> Spectra { get; init; } = [];
}
