// The base of every SharpLens model: a forward pass whose named sites are HookPoints, plus the two verbs users learn.
using SharpLens.Hooks;
using SharpLens.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens;

/// <summary>A hook name this model fires, with its shape: the site's (<see cref="HookSite.Shape"/>) with the sizes the config fixes filled in.</summary>
public sealed record HookInfo(HookName Name, string Shape)
{
    /// <summary><c>name [shape]</c>.</summary>
    public override string ToString() => $"{Name} {Shape}";
}

/// <summary>What every architecture reports about itself (shape glossary names).</summary>
public sealed record ModelInfo
{
    /// <summary>The HF class, e.g. <c>LlamaForCausalLM</c>.</summary>
    public required string Architecture { get; init; }
    /// <summary>config.json's <c>model_type</c>.</summary>
    public required string ModelType { get; init; }
    /// <summary>Blocks (n_layers).</summary>
    public required int NLayers { get; init; }
    /// <summary>Residual stream width (d_model).</summary>
    public required int DModel { get; init; }
    /// <summary>Vocabulary size (d_vocab).</summary>
    public required int DVocab { get; init; }
    /// <summary>Attention heads per block (0 for models without attention).</summary>
    public int NHeads { get; init; }
    /// <summary>Key/value heads per block (fewer than <see cref="NHeads"/> under grouped-query attention).</summary>
    public int NKvHeads { get; init; }
    /// <summary>Width of one head (d_head).</summary>
    public int DHead { get; init; }
    /// <summary>MLP hidden width (d_mlp; 0 when there is no MLP).</summary>
    public int DMlp { get; init; }
    /// <summary>Longest sequence the config allows, when it bounds one.</summary>
    public int? MaxPositions { get; init; }
    /// <summary>Whether each position sees only earlier ones (false for encoders).</summary>
    public bool IsCausal { get; init; } = true;
    /// <summary>Extra architecture facts (d_inner, d_state, num_ssm, …) for display.</summary>
    public IReadOnlyDictionary<string, object> Extra { get; init; } = new Dictionary<string, object>();
}

/// <summary>
/// A model whose every activation is a named hook point. <see cref="Forward"/> (the LM head) and <see cref="ForwardTo"/>
/// (up to a hook) are raw passes (gradients follow the caller's mode); <see cref="Run"/>, <see cref="RunTo"/>,
/// <see cref="RunWithCache"/> and <see cref="RunWithHooks"/> are inference verbs.
/// </summary>
public abstract class HookedModel : nn.Module
{
    readonly List<HookInfo> catalog = new();
    readonly HashSet<string> catalogNames = new(StringComparer.Ordinal);

    /// <summary>A model whose module is called <paramref name="name"/> (TorchSharp's module name).</summary>
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

    /// <summary>What the architecture reports about itself.</summary>
    public abstract ModelInfo Info { get; }

    /// <summary>The report of the strict load that produced this model (null when built in memory).</summary>
    public LoadReport? LoadReport { get; internal set; }

    /// <summary>The folder the model was loaded from, if any.</summary>
    public string? SourceDirectory { get; internal set; }

    /// <summary>True once the model (and so its parameters) has been disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }

    /// <summary>Element type of the parameters.</summary>
    public ScalarType DType => parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;

    /// <summary>The head this checkpoint carries; <see cref="Forward"/> is the <see cref="ModelHead.LanguageModel"/> head only.</summary>
    public virtual ModelHead Head => ModelHead.LanguageModel;

    /// <summary>
    /// The forward pass through the LM head. inputIds [batch, pos] (int64); attentionMask [batch, pos] with 1 for real
    /// tokens and 0 for padding (null: all real). Returns logits [batch, pos, d_vocab]; gradients follow the caller's mode.
    /// A checkpoint with another head throws <see cref="NotSupportedException"/> naming its own entry point
    /// (<see cref="IEncoderHeads"/>); <see cref="ForwardTo"/> runs any checkpoint up to a hook.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null)
    {
        if (Head != ModelHead.LanguageModel)
            throw new NotSupportedException($"this {Info.Architecture} checkpoint has no LM head ({Head}): use " + Head switch
            {
                ModelHead.TokenClassification => "ClassifyTokens for its label logits",
                ModelHead.SequenceClassification => "Classify for its label logits",
                _ => "Hidden for its hidden states",
            } + ", or RunTo / RunWithCache(stopAt:) to stop at a hook");
        return ForwardPass(inputIds, attentionMask) ?? throw new InvalidOperationException($"{Info.Architecture}: the forward pass returned no logits");
    }

    /// <summary>
    /// The architecture's pass: LM logits [batch, pos, d_vocab], or null once <see cref="StopReached"/> (each architecture
    /// checks after every block and after the final norm) or, under <see cref="ForwardTo"/> only, for a checkpoint without an LM head.
    /// </summary>
    protected abstract Tensor? ForwardPass(Tensor inputIds, Tensor? attentionMask);

    /// <summary>True inside <see cref="ForwardTo"/> once its stop hook has fired: the pass returns at its next check.</summary>
    protected bool StopReached => stopping is { Fired: true };
    StopState? stopping;
    sealed class StopState { public bool Fired; }

    /// <summary>
    /// The forward pass up to the hook <paramref name="stopAt"/>, whatever the head: returns that hook's activation (after
    /// the hooks registered there) and skips everything after the block that fired it (later blocks, the final norm, the
    /// head). Gradients follow the caller's mode; the result belongs to the caller's dispose scope.
    /// </summary>
    public Tensor ForwardTo(HookName stopAt, Tensor inputIds, Tensor? attentionMask = null)
    {
        if (stopping is not null) throw new InvalidOperationException("ForwardTo is already running on this model; a hook cannot start another");
        var state = stopping = new StopState();
        Tensor? captured = null;
        try
        {
            using (Hooks.Add(stopAt, (act, _) =>
            {
                if (!state.Fired) { captured = act.alias().DetachFromDisposeScope(); state.Fired = true; }
                return null;
            }))
            using (NewDisposeScope())
                ForwardPass(inputIds, attentionMask);
        }
        catch
        {
            captured?.Dispose();
            throw;
        }
        finally { stopping = null; }
        if (captured is null) throw new InvalidOperationException($"{Info.Architecture}: the forward pass did not reach {stopAt}");
        using (captured) return captured.alias();                                          // owned by the caller's scope, graph kept
    }

    /// <summary>Final norm + unembedding, for logit lens and attribution; null for models without a linear readout.</summary>
    public virtual Readout? Readout => null;

    /// <summary>Declares a hook site with its site's shape (call in the constructor, in forward order) and returns its point.</summary>
    protected internal HookPoint Point(HookName name) => Point(name, name.Site.Shape is { Length: > 0 } shape ? shape
        : throw new ArgumentException($"hook site '{name.Site.Path}' declares no shape; declare it with Site.Of(path, shape)"));

    /// <summary>Declares a hook site whose shape differs in this architecture from its site's (e.g. d_embed-wide embeddings).</summary>
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

    /// <summary>Inference up to a hook: <see cref="ForwardTo"/> without gradient, the input checked first.</summary>
    public Tensor RunTo(HookName stopAt, Tensor inputIds, Tensor? attentionMask = null)
    {
        ValidateInput(inputIds, attentionMask);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return ForwardTo(stopAt, inputIds, attentionMask).MoveToOuterDisposeScope();
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
    /// Extra hooks (e.g. patches) run before recording, so the cache sees what the forward pass used. With
    /// <paramref name="stopAt"/> the pass stops there (<see cref="RunTo"/>): later hooks are not recorded and
    /// <see cref="ActivationCache.Logits"/> stays null — the way to cache a checkpoint without an LM head.
    /// </summary>
    public ActivationCache RunWithCache(Tensor inputIds, HookFilter? filter = null, Tensor? attentionMask = null,
        ScalarType? dtype = null, Device? device = null, IEnumerable<(HookName Name, HookFn Fn)>? hooks = null, HookName? stopAt = null)
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
            if (stopAt is HookName stop)
            {
                RunTo(stop, inputIds, attentionMask).Dispose();
                return cache;
            }
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
