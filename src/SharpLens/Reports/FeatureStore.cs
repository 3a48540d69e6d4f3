// The on-disk cache of probe pair features: one folder per key, meta.json + one raw float32 matrix per layer.
using System.Runtime.InteropServices;
using System.Text.Json;
using SharpLens.Analysis.Probes;
using SharpLens.Analysis.SsmInterpret;
using SharpLens.Training;

namespace SharpLens.Reports;

/// <summary>
/// <c>ROOT/KEY/meta.json</c> (task, ids, labels, splits, width, feature report) and <c>ROOT/KEY/L{layer}.f32</c>
/// (rows × width float32, little-endian, row-major, rows in meta order). Every file is written atomically; a layer is
/// found only when its file has exactly rows × width values, so an interrupted run just recomputes.
/// </summary>
public sealed class FeatureStore(string root) : IFeatureStore
{
    sealed record Meta(string Task, int Width, string[] Ids, string[] Labels, bool[] IsTrain, FeatureReport Report);

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The cache folder.</summary>
    public string Root { get; } = root;

    /// <inheritdoc/>
    public bool TryLoad(string key, IReadOnlyList<int> layers, out IReadOnlyDictionary<int, ProbeDataset> byLayer, out FeatureReport report)
    {
        byLayer = new Dictionary<int, ProbeDataset>();
        report = null!;
        var dir = Path.Combine(Root, key);
        var metaPath = Path.Combine(dir, "meta.json");
        if (!File.Exists(metaPath)) return false;
        Meta? meta;
        try { meta = JsonSerializer.Deserialize<Meta>(File.ReadAllText(metaPath), Json); }
        catch (JsonException) { return false; }
        if (meta is null || meta.Ids.Length != meta.Labels.Length || meta.Ids.Length != meta.IsTrain.Length) return false;
        var result = new Dictionary<int, ProbeDataset>();
        foreach (var l in layers)
        {
            var x = ReadMatrix(Path.Combine(dir, $"L{l}.f32"), meta.Ids.Length, meta.Width);
            if (x is null) return false;
            result[l] = new ProbeDataset(meta.Task, l, x, meta.Labels, meta.IsTrain, meta.Ids);
        }
        byLayer = result;
        report = meta.Report;
        return true;
    }

    /// <inheritdoc/>
    public void Save(string key, IReadOnlyDictionary<int, ProbeDataset> byLayer, FeatureReport report)
    {
        if (byLayer.Count == 0) return;
        var dir = Path.Combine(Root, key);
        var first = byLayer.Values.First();
        int width = first.X.Length == 0 ? 0 : first.X[0].Length;
        foreach (var (l, d) in byLayer)
            AtomicFile.Write(Path.Combine(dir, $"L{l}.f32"), fs =>
            {
                foreach (var row in d.X) fs.Write(MemoryMarshal.AsBytes(row.AsSpan()));
            });
        AtomicFile.WriteText(Path.Combine(dir, "meta.json"), JsonSerializer.Serialize(new Meta(first.Task, width, first.Ids, first.Labels, first.IsTrain, report), Json));
    }

    /// <summary>Reads a rows × width float32 matrix; null when absent or of another size.</summary>
    public static float[][]? ReadMatrix(string path, int rows, int width)
    {
        if (!File.Exists(path) || new FileInfo(path).Length != (long)rows * width * sizeof(float)) return null;
        var bytes = File.ReadAllBytes(path);
        var all = MemoryMarshal.Cast<byte, float>(bytes);
        var x = new float[rows][];
        for (int i = 0; i < rows; i++) x[i] = all.Slice(i * width, width).ToArray();
        return x;
    }
}
