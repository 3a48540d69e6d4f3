// Loads checkpoint tensors into a model's parameters by declared names, strictly, without copying when it can.
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Loading;

/// <summary>Strict loading: every parameter found with its exact shape, nothing left over, or an exception with the report.</summary>
internal static class StrictLoader
{
    /// <summary>
    /// Points each parameter of <paramref name="module"/> at its checkpoint tensor (a memory-map view when the stored dtype
    /// equals <paramref name="dtype"/>; otherwise a converted copy). Integer tensors keep their dtype.
    /// </summary>
    public static LoadReport Load(nn.Module module, ITensorSource source, CheckpointMap map, ScalarType dtype, string sourceName)
    {
        var loaded = new List<string>();
        var missing = new List<string>();
        var mismatched = new List<ShapeMismatch>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var dtypes = new Dictionary<string, int>();
        var plan = new List<(Tensor Param, string Key)>();

        foreach (var (name, p) in module.named_parameters())
        {
            var key = map.Candidates(name).FirstOrDefault(source.Contains);
            if (key is null) { missing.Add(name); continue; }
            used.Add(key);
            var found = source.Shape(key);
            if (!found.SequenceEqual(p.shape)) { mismatched.Add(new ShapeMismatch(name, key, p.shape, found)); continue; }
            plan.Add((p, key));
        }
        var tied = new List<string>();
        var ignored = new List<string>();
        var unexpected = new List<string>();
        foreach (var k in source.Keys)
        {
            if (used.Contains(k)) continue;
            if (map.TiedTo(k) is string t) tied.Add($"{k} → {t}");
            else if (map.IgnoreReason(k) is string why) ignored.Add($"{k} ({why})");
            else unexpected.Add(k);
        }
        var report = new LoadReport
        {
            Source = sourceName, Loaded = loaded, Missing = missing, Unexpected = unexpected, Mismatched = mismatched,
            Tied = tied, Ignored = ignored, StoredDTypes = dtypes,
        };
        if (!report.IsComplete) throw new CheckpointLoadException(report);

        using (no_grad())
        {
            foreach (var (p, key) in plan)
            {
                var stored = source.DTypeOf(key);
                dtypes[stored] = dtypes.GetValueOrDefault(stored) + 1;
                // One scope per tensor: the parameter keeps the storage it is set to, and every handle made on the way
                // (the file view and its narrow, the unconverted source) is released now. Left to the garbage collector,
                // those handles kept the whole memory-mapped file resident (and counted in RSS) after a conversion.
                using var scope = NewDisposeScope();
                var view = source.Load(key);
                var t = view.is_floating_point() && view.dtype != dtype ? view.to(dtype)
                    : !view.is_floating_point() && view.dtype != p.dtype ? view.to(p.dtype)
                    : view;
                p.set_(t);
                loaded.Add(key);
            }
        }
        return report;
    }
}
