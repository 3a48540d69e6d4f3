// The probing study for one or two models on one pairs file: features per layer, then the linear probe and/or DirectProbe.
using SharpLens.Loading;
using SharpLens.Tokenization;

namespace SharpLens.Analysis.Probes;

/// <summary>Which probes to run.</summary>
public enum ProbeKind { Linear, DirectProbe, Both }

/// <summary>Options of <see cref="ProbeStudy.Run"/>; null layers means every layer.</summary>
public sealed record ProbeStudyOptions
{
    /// <summary>Layers whose hook_resid_post is probed (null: all).</summary>
    public IReadOnlyList<int>? Layers { get; init; }
    /// <summary>Probes to run.</summary>
    public ProbeKind Probe { get; init; } = ProbeKind.Both;
    /// <summary>Linear probe settings.</summary>
    public LinearProbeOptions Linear { get; init; } = new();
    /// <summary>DirectProbe settings.</summary>
    public DirectProbeOptions Direct { get; init; } = new();
    /// <summary>Token limit per function (null: the model's max positions, 1024 when it has none).</summary>
    public int? MaxTokens { get; init; }
    /// <summary>Functions per forward pass.</summary>
    public int BatchSize { get; init; } = 8;
}

/// <summary>One result row: a probe at a layer of a model. DirectProbe-only fields are null for the linear probe and vice versa.</summary>
public sealed record ProbeRow(string Model, string Task, int Layer, string Probe, double? TrainAccuracy, double TestAccuracy, double MacroF1,
    int? Clusters, int Labels, int NTrain, int NTest, double? MinDistance, double? MeanDistance, double? TestAccuracyCentroid,
    int? SvmSolves, bool? BudgetExhausted, double Seconds);

/// <summary>A model's rows with its feature report.</summary>
public sealed record ProbeRun(string Model, string ModelDirectory, string Architecture, FeatureReport Features, IReadOnlyList<ProbeRow> Rows);

/// <summary>Opens a model folder and its tokenizer (through the caller's <see cref="IModelSource"/>) and runs the requested probes at each layer.</summary>
public static class ProbeStudy
{
    /// <summary>Name used in reports: the folder's name.</summary>
    public static string Label(string dir) => Path.GetFileName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>Runs the study for one model; the tokenizer is loaded first so a folder without one fails before the model loads.</summary>
    public static ProbeRun Run(IModelSource models, string modelDir, IReadOnlyList<PairRecord> pairs, ProbeStudyOptions options, Action<string>? progress = null)
    {
        var tokenizer = models.OpenTokenizer(modelDir);
        using var model = models.OpenModel(modelDir);
        var layers = options.Layers ?? Enumerable.Range(0, model.Info.NLayers).ToArray();
        var bad = layers.Where(l => l < 0 || l >= model.Info.NLayers).ToList();
        if (bad.Count > 0) throw new ArgumentException($"{modelDir}: expected layers in 0..{model.Info.NLayers - 1}, found {string.Join(",", bad)}");
        if (tokenizer.VocabSize > model.Info.DVocab)
            progress?.Invoke($"note: tokenizer vocabulary {tokenizer.VocabSize} exceeds the model's {model.Info.DVocab}; ids beyond it will be rejected");
        var label = Label(modelDir);
        int maxTokens = options.MaxTokens ?? PairFeatures.MaxTokens(model);
        var (byLayer, report) = PairFeatures.Extract(model, tokenizer, pairs, layers, maxTokens, options.BatchSize, s => progress?.Invoke($"{label}: {s}"));
        progress?.Invoke($"{label}: {report.Functions} functions, {report.FunctionsTruncated} truncated to {maxTokens} tokens, {report.PairsSkipped} pairs skipped, " +
            $"{report.PairsSameTokens} kept pairs with a and b in the same subword tokens");
        var rows = layers.SelectMany(layer => Probe(label, byLayer[layer], options, progress)).ToList();
        return new ProbeRun(label, modelDir, model.Info.Architecture, report, rows);
    }

    /// <summary>The requested probes on one layer's dataset: a linear row and/or a DirectProbe row.</summary>
    public static IReadOnlyList<ProbeRow> Probe(string label, ProbeDataset data, ProbeStudyOptions options, Action<string>? progress = null)
    {
        var rows = new List<ProbeRow>();
        int layer = data.Layer, nTrain = data.IsTrain.Count(t => t), nTest = data.X.Length - nTrain;
        if (options.Probe is ProbeKind.Linear or ProbeKind.Both)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var r = LinearProbe.Train(data, options.Linear);
            rows.Add(new ProbeRow(label, data.Task, layer, "linear", r.TrainAccuracy, r.TestAccuracy, r.MacroF1, null, data.Classes.Length,
                nTrain, nTest, null, null, null, null, null, sw.Elapsed.TotalSeconds));
            progress?.Invoke($"{label}: layer {layer} linear test acc {r.TestAccuracy:0.000}");
        }
        if (options.Probe is ProbeKind.DirectProbe or ProbeKind.Both)
        {
            var r = DirectProbe.Run(data, options.Direct, s => progress?.Invoke($"{label}: layer {layer} {s}"));
            rows.Add(new ProbeRow(label, data.Task, layer, "directprobe", null, r.TestAccuracy, r.MacroF1, r.Clusters, data.Classes.Length,
                nTrain, nTest, r.MinDistance, r.MeanDistance, r.TestAccuracyCentroid, r.SvmSolves, r.BudgetExhausted, r.Seconds));
            progress?.Invoke($"{label}: layer {layer} directprobe {r.Clusters} clusters for {r.Labels} labels, test acc {r.TestAccuracy:0.000}" +
                (r.BudgetExhausted ? " (SVM budget exhausted)" : ""));
        }
        return rows;
    }

    /// <summary>Rows of two runs matched on (layer, probe): test accuracy of each and b − a.</summary>
    public static IReadOnlyList<(int Layer, string Probe, double A, double B, double Diff)> Compare(ProbeRun a, ProbeRun b) =>
        a.Rows.Join(b.Rows, r => (r.Layer, r.Probe), r => (r.Layer, r.Probe), (x, y) => (x.Layer, x.Probe, x.TestAccuracy, y.TestAccuracy, y.TestAccuracy - x.TestAccuracy))
            .ToList();
}
