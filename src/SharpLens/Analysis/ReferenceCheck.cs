// `verify`: runs a model on a reference file's input_ids and compares logits and every stored hook tensor.
using SharpLens.Hooks;
using SharpLens.Loading;
using static TorchSharp.torch;

namespace SharpLens.Analysis;

/// <summary>One compared tensor.</summary>
public sealed record TensorComparison(string Name, long[] Shape, double MaxAbsDiff, double Tolerance, string? Problem)
{
    /// <summary>No problem and within tolerance.</summary>
    public bool Ok => Problem is null && MaxAbsDiff <= Tolerance;
}

/// <summary>The outcome of <see cref="ReferenceCheck.Run"/>.</summary>
public sealed record ReferenceCheckResult(IReadOnlyList<TensorComparison> Tensors, IReadOnlyList<string> Skipped)
{
    /// <summary>At least one tensor compared and every comparison ok.</summary>
    public bool Ok => Tensors.Count > 0 && Tensors.All(t => t.Ok);
}

/// <summary>Compares a model's activations with tensors saved from another implementation (e.g. Python).</summary>
public static class ReferenceCheck
{
    /// <summary>Names in a reference file that are inputs, not outputs.</summary>
    static readonly HashSet<string> Inputs = ["input_ids", "attention_mask", "position_ids", "token_type_ids"];

    /// <summary>
    /// Runs <paramref name="model"/> on the reference file's input_ids (and attention_mask) and compares its logits and
    /// every stored hook tensor (or derived tensor) within <paramref name="atol"/>; only the hooks <paramref name="only"/>
    /// selects, when given (hooking fewer sites lets the forward pass take its fused kernels).
    /// </summary>
    public static ReferenceCheckResult Run(HookedModel model, string referencePath, double atol, HookFilter? only = null)
    {
        using var reference = SafeTensorsFile.Open(referencePath);
        if (!reference.Contains("input_ids")) throw new InvalidDataException($"{referencePath}: no 'input_ids' tensor to run the model on");
        using var ids = reference.Load("input_ids").to(ScalarType.Int64);
        using var mask = reference.Contains("attention_mask") ? reference.Load("attention_mask").to(ScalarType.Int64) : null;
        var catalog = model.HookCatalog.Select(h => h.Name.ToString()).ToHashSet(StringComparer.Ordinal);
        var wanted = new List<string>();
        var skipped = new List<string>();
        var comparisons = new List<TensorComparison>();
        foreach (var name in reference.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            if (Inputs.Contains(name)) { skipped.Add(name + " (input)"); continue; }
            if (!catalog.Contains(name) && model is IDerivedTensors d && d.Derived(name, reference.Shape(name)) is Tensor derived)
            {
                using (derived) comparisons.Add(Compare(name, derived, reference.Load(name), atol));
                continue;
            }
            if (catalog.Contains(name) && only is not null && !only.Matches(HookName.Parse(name))) { skipped.Add(name + " (not selected)"); continue; }
            if (name == "logits" || catalog.Contains(name)) wanted.Add(name);
            else comparisons.Add(new TensorComparison(name, reference.Shape(name), double.NaN, atol, "not a hook of this model"));
        }
        // a checkpoint without an LM head: its hooks from a pass that stops before the head, its output from its own entry point
        using var cache = model.RunWithCache(ids, HookFilter.Names(wanted.Where(w => w != "logits")), mask, dtype: ScalarType.Float32,
            stopAt: ModelOutputs.BodyEnd(model));
        using var logits = cache.Logits is null && wanted.Contains("logits") ? ModelOutputs.Logits(model, ids, mask).to(ScalarType.Float32) : null;
        foreach (var name in wanted)
        {
            var expected = reference.Load(name);
            var actual = name == "logits" ? cache.Logits ?? logits : cache.Contains(name) ? cache[name] : null;
            if (actual is null) { comparisons.Add(new TensorComparison(name, expected.shape, double.NaN, atol, "the model did not fire this hook")); continue; }
            comparisons.Add(Compare(name, actual, expected, atol));
        }
        return new ReferenceCheckResult(comparisons, skipped);
    }

    static TensorComparison Compare(string name, Tensor actual, Tensor expected, double atol)
    {
        if (!actual.shape.SequenceEqual(expected.shape))
            return new TensorComparison(name, expected.shape, double.NaN, atol,
                $"shape [{string.Join(",", actual.shape)}] vs reference [{string.Join(",", expected.shape)}]");
        using var diff = (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs();
        double max = diff.NumberOfElements == 0 ? 0 : diff.max().item<double>();
        return new TensorComparison(name, expected.shape, max, atol, double.IsNaN(max) ? "NaN in output" : null);
    }
}
