// The base of every SharpLens model: a forward pass whose named sites are HookPoints, plus the two verbs users learn.
using SharpLens.Hooks;
using SharpLens.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens;

/// <summary>A hook name this model fires, with its shape (symbolic dims plus sizes where the config fixes them).</summary>
public sealed record HookInfo(HookName Name, string Shape)
{
    public override string ToString() => $"{Name} {Shape}";
}

/// <summary>What every architecture reports about itself (shape glossary names).</summary>
public sealed record ModelInfo
{
    public required string Architecture { get; init; }   // HF class, e.g. LlamaForCausalLM
    public required string ModelType { get; init; }      // config.json model_type
    public required int NLayers { get; init; }
    public required int DModel { get; init; }
    public required int DVocab { get; init; }
    public int NHeads { get; init; }
    public int NKvHeads { get; init; }
    public int DHead { get; init; }
    public int DMlp { get; init; }
    public int? MaxPositions { get; init; }
    public bool IsCausal { get; init; } = true;
    /// <summary>Extra architecture facts (d_inner, d_state, num_ssm, …) for display.</summary>
    public IReadOnlyDictionary<string, object> Extra { get; init; } = new Dictionary<string, object>();
}

/// <summary>
/// A model whose every activation is a named hook point. <see cref="Forward"/> is the raw pass (gradients follow the
/// caller's mode); <see cref="Run"/>, <see cref="RunWithCache"/> and <see cref="RunWithHooks"/> are inference verbs.
/// </summary>
public abstract class HookedModel : nn.Module
{
    readonly List<HookInfo> catalog = new();
    readonly HashSet<string> catalogNames = new(StringComparer.Ordinal);

    protected HookedModel(string name) : base(name)
    {
        Hooks = new HookRegistry(n => catalogNames.Contains(n), () => catalogNames);
    }

    /// <summary>The live hooks of this model.</summary>
    public HookRegistry Hooks { get; }

    /// <summary>Every hook name this model can fire, in forward order, with its shape (config-fixed dims filled in).</summary>
    public IReadOnlyList<HookInfo> HookCatalog => resolved ??= catalog.Select(h => h with { Shape = ResolveDims(h.Shape) }).ToList();
    List<HookInfo>? resolved;

    string ResolveDims(string shape)
    {
        var i = Info;
        var dims = new Dictionary<string, object> { ["d_model"] = i.DModel, ["d_vocab"] = i.DVocab };
        if (i.NHeads > 0) { dims["head"] = i.NHeads; dims["kv_head"] = i.NKvHeads; dims["d_head"] = i.DHead; }
        if (i.DMlp > 0) dims["d_mlp"] = i.DMlp;
        foreach (var (k, v) in i.Extra)                     // numeric facts only (d_inner, d_state, …); never override the above
            if (v is int or long && !dims.ContainsKey(k)) dims[k] = v;
        var parts = shape.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries);
        return "[" + string.Join(", ", parts.Select(p => dims.TryGetValue(p, out var v) ? $"{p}={v}" : p)) + "]";
    }

    public abstract ModelInfo Info { get; }

    /// <summary>The report of the strict load that produced this model (null when built in memory).</summary>
    public LoadReport? LoadReport { get; internal set; }

    /// <summary>The folder the model was loaded from, if any.</summary>
    public string? SourceDirectory { get; internal set; }

    /// <summary>True once the model (and so its parameters) has been disposed.</summary>
    public bool IsDisposed { get; private set; }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }

    /// <summary>Element type of the parameters.</summary>
    public ScalarType DType => parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;

    /// <summary>
    /// The forward pass. inputIds [batch, pos] (int64); attentionMask [batch, pos] with 1 for real tokens and 0 for
    /// padding (null: all real). Returns logits [batch, pos, d_vocab].
    /// </summary>
    public abstract Tensor Forward(Tensor inputIds, Tensor? attentionMask = null);

    /// <summary>Final norm + unembedding, for logit lens and attribution; null for models without a linear readout.</summary>
    public virtual Readout? Readout => null;

    /// <summary>Declares a hook site (call in the constructor, in forward order) and returns its point.</summary>
    protected internal HookPoint Point(HookName name, string shape)
    {
        var key = name.ToString();
        if (!catalogNames.Add(key)) throw new InvalidOperationException($"hook {key} declared twice");
        catalog.Add(new HookInfo(name, shape));
        resolved = null;
        return new HookPoint(Hooks, name);
    }

    /// <summary>Inference: logits without gradient.</summary>
    public Tensor Run(Tensor inputIds, Tensor? attentionMask = null)
    {
        ValidateInput(inputIds, attentionMask);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return Forward(inputIds, attentionMask).MoveToOuterDisposeScope();
    }

    /// <summary>Checks ids are [batch, pos] integers inside the vocabulary and the mask matches; clear errors instead of native ones.</summary>
    public void ValidateInput(Tensor inputIds, Tensor? attentionMask)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input ids must be [batch, pos], found shape [{string.Join(",", inputIds.shape)}]");
        if (inputIds.is_floating_point()) throw new ArgumentException($"input ids must be integers, found {inputIds.dtype}");
        if (inputIds.shape[0] == 0 || inputIds.shape[1] == 0)
            throw new ArgumentException($"input ids must hold at least one sequence of one token, found shape [{string.Join(",", inputIds.shape)}]");
        long lo = inputIds.min().item<long>(), hi = inputIds.max().item<long>();
        if (lo < 0 || hi >= Info.DVocab) throw new ArgumentException($"token ids must lie in [0, {Info.DVocab}), found [{lo}, {hi}]");
        if (Info.MaxPositions is int mp && !Info.Extra.ContainsKey("unbounded_positions") && inputIds.shape[1] > mp && HasLearnedPositions)
            throw new ArgumentException($"sequence length {inputIds.shape[1]} exceeds max_position_embeddings {mp}");
        if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException($"attention mask shape [{string.Join(",", attentionMask.shape)}] differs from ids [{string.Join(",", inputIds.shape)}]");
    }

    /// <summary>Whether positions index a learned table (then sequences are bounded by max positions).</summary>
    protected virtual bool HasLearnedPositions => false;

    /// <summary>Inference with hooks that read or replace activations; they are removed afterwards, even on exceptions.</summary>
    public Tensor RunWithHooks(Tensor inputIds, IEnumerable<(HookName Name, HookFn Fn)> hooks, Tensor? attentionMask = null)
    {
        using var registration = Hooks.AddAll(hooks);
        return Run(inputIds, attentionMask);
    }

    /// <summary>
    /// Inference that records the activations selected by <paramref name="filter"/> (all when null). The cache owns
    /// detached tensors (optionally converted to <paramref name="dtype"/>/<paramref name="device"/>) and the logits.
    /// Extra hooks (e.g. patches) run before recording, so the cache sees what the forward pass used.
    /// </summary>
    public ActivationCache RunWithCache(Tensor inputIds, HookFilter? filter = null, Tensor? attentionMask = null,
        ScalarType? dtype = null, Device? device = null, IEnumerable<(HookName Name, HookFn Fn)>? hooks = null)
    {
        filter ??= HookFilter.All;
        var cache = new ActivationCache();
        try
        {
            using var extra = Hooks.AddAll(hooks ?? []);
            var recorders = catalog.Where(h => filter.Matches(h.Name)).Select(h => (h.Name, (HookFn)((act, name) =>
            {
                var t = act.detach();
                if (dtype is ScalarType dt && t.dtype != dt) t = t.to(dt);
                if (device is not null && t.device != device) t = t.to(device);
                cache.Store(name.ToString(), t.DetachFromDisposeScope());
                return null;
            }))).ToList();
            using var rec = Hooks.AddAll(recorders);
            var logits = Run(inputIds, attentionMask);
            cache.Logits = logits.DetachFromDisposeScope();
            return cache;
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }
}
