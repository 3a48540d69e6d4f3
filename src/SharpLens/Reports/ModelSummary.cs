// A model's and an activation cache's summaries as records (rendered by the CLI as tables or JSON, by notebooks as HTML).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpLens.Reports;

/// <summary>Shared JSON settings for reports: snake_case names (as Python tools expect), indented, NaN as strings.</summary>
public static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>One hook in a summary.</summary>
public sealed record HookSummary(string Name, string Shape);

/// <summary>What `inspect` shows.</summary>
public sealed record ModelSummary(
    string Architecture, long Parameters, string DType, long ParameterBytes,
    IReadOnlyDictionary<string, object> Dimensions, string? Load, IReadOnlyList<HookSummary> Hooks)
{
    /// <summary>Throws <see cref="ObjectDisposedException"/> for a disposed model.</summary>
    public static ModelSummary Of(HookedModel model)
    {
        ObjectDisposedException.ThrowIf(model.IsDisposed, model);
        long n = 0, bytes = 0;
        foreach (var p in model.parameters()) { n += p.NumberOfElements; bytes += p.NumberOfElements * p.ElementSize; }
        var i = model.Info;
        var dims = new Dictionary<string, object> { ["n_layers"] = i.NLayers, ["d_model"] = i.DModel, ["d_vocab"] = i.DVocab };
        if (i.NHeads > 0) { dims["n_heads"] = i.NHeads; dims["n_kv_heads"] = i.NKvHeads; dims["d_head"] = i.DHead; }
        if (i.DMlp > 0) dims["d_mlp"] = i.DMlp;
        if (i.MaxPositions is int mp) dims["max_positions"] = mp;
        foreach (var (k, v) in i.Extra) dims[k] = v;
        return new ModelSummary(i.Architecture, n, model.DType.ToString(), bytes, dims, model.LoadReport?.ToString(),
            model.HookCatalog.Select(h => new HookSummary(h.Name.ToString(), h.Shape)).ToList());
    }
}

/// <summary>One cached tensor: its hook name, shape and element type ("disposed" when it was freed on its own).</summary>
public sealed record CachedTensor(string Name, string Shape, string DType);

/// <summary>What an <see cref="Hooks.ActivationCache"/> holds, in the order the hooks fired.</summary>
public sealed record CacheSummary(IReadOnlyList<CachedTensor> Tensors, CachedTensor? Logits)
{
    /// <summary>Throws <see cref="ObjectDisposedException"/> for a disposed cache.</summary>
    public static CacheSummary Of(Hooks.ActivationCache cache)
    {
        ObjectDisposedException.ThrowIf(cache.IsDisposed, cache);
        return new CacheSummary(cache.Names.Select(n => Describe(n, cache[n])).ToList(), cache.Logits is { } l ? Describe("logits", l) : null);
    }

    static CachedTensor Describe(string name, TorchSharp.torch.Tensor t) =>
        t.IsInvalid ? new CachedTensor(name, "disposed", "") : new CachedTensor(name, "[" + string.Join(", ", t.shape) + "]", t.dtype.ToString());
}
