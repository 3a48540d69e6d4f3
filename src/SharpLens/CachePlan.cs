// A cached run that keeps only what an analysis reads: some hooks, some positions, in a storage dtype, as rows.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens;

/// <summary>Which positions of each sequence a <see cref="CachePlan"/> keeps.</summary>
public enum CachePositions
{
    /// <summary>Every real token (padding dropped when an attention mask is given).</summary>
    All,
    /// <summary>The last real token of each sequence (left or right padding).</summary>
    Last,
}

/// <summary>
/// What a cached run keeps. A full <c>RunWithCache</c> of GPT-2 small at batch 8 × 128 holds ~1.6 GB; an analysis
/// usually reads a few sites at a few positions. A plan records each selected hook as rows — one per kept
/// (sequence, position), padding never stored — copied out of the forward pass as it runs (so the pass's own
/// temporaries are freed layer by layer) and converted to <see cref="DType"/> (e.g. bfloat16 halves float32).
/// </summary>
public sealed record CachePlan
{
    /// <summary>The hooks to keep. Attention scores and pattern are refused: their rows are as wide as each batch.</summary>
    public required HookFilter Hooks { get; init; }

    /// <summary>Which positions to keep (default every real token).</summary>
    public CachePositions Positions { get; init; } = CachePositions.All;

    /// <summary>Storage dtype of the rows; null keeps the activation's own.</summary>
    public ScalarType? DType { get; init; }

    /// <summary>The hook names of <paramref name="model"/> this plan keeps, in forward order; throws when none or when it selects scores/pattern.</summary>
    public IReadOnlyList<HookName> Select(HookedModel model)
    {
        var names = model.HookCatalog.Select(h => h.Name).Where(Hooks.Matches).ToList();
        if (names.Count == 0) throw new ArgumentException($"the cache plan's hooks ({Hooks.Description}) select no hook of {model.Info.Architecture}");
        var wide = names.FirstOrDefault(n => n.Site == Site.Pattern || n.Site == Site.AttnScores);
        if (wide.Site.Path is not null)
            throw new NotSupportedException($"{wide}: attention scores and patterns are [batch, head, query_pos, key_pos], as wide as each batch; cache them with RunWithCache");
        return names;
    }

    /// <summary>
    /// Runs <paramref name="model"/> on one batch (ids [batch, pos], mask [batch, pos] with 1 for real tokens) and
    /// returns the kept rows. Hooks in <paramref name="hooks"/> (e.g. patches) run before recording.
    /// </summary>
    public ActivationRows Run(HookedModel model, Tensor ids, Tensor? mask = null, IEnumerable<(HookName Name, HookFn Fn)>? hooks = null)
    {
        model.ValidateInput(ids, mask);
        var names = Select(model);
        long b = ids.shape[0], p = ids.shape[1];
        var rows = new ActivationRows();
        try
        {
            using (var scope = NewDisposeScope())
            {
                var (flat, sequence, position) = Rows(mask, b, p, Positions, ids.device);
                rows.Sequence = sequence.DetachFromDisposeScope();
                rows.Position = position.DetachFromDisposeScope();
                var recorders = names.Select(n => (n, (HookFn)((act, name) =>
                {
                    using var inner = NewDisposeScope();
                    var kept = act.detach().flatten(0, 1).index_select(0, flat);            // [rows, ...]: a copy
                    if (DType is ScalarType dt && kept.dtype != dt) kept = kept.to(dt);
                    rows.Cache.Add(name.ToString(), kept);
                    return null;
                }))).ToList();
                using var extra = model.Hooks.AddAll(hooks ?? []);
                using var rec = model.Hooks.AddAll(recorders);
                model.Run(ids, mask).Dispose();
            }
            return rows;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    /// <summary>Flat [batch·pos] indices of the kept rows, with each row's sequence and position (padding not counted).</summary>
    static (Tensor Flat, Tensor Sequence, Tensor Position) Rows(Tensor? mask, long b, long p, CachePositions which, Device device)
    {
        var m = mask is null ? ones(b, p, dtype: ScalarType.Int64, device: device) : mask.to(ScalarType.Int64);
        var position = m.cumsum(1, ScalarType.Int64) - 1;                                   // [batch, pos]: index among real tokens
        var seq = arange(b, dtype: ScalarType.Int64, device: device).unsqueeze(1).expand(b, p);
        Tensor flat;
        if (which == CachePositions.Last)
        {
            var last = (arange(p, dtype: ScalarType.Int64, device: device).unsqueeze(0) * m).argmax(1);   // [batch]
            flat = arange(b, dtype: ScalarType.Int64, device: device) * p + last;
        }
        else flat = m.flatten().nonzero().flatten();
        return (flat, seq.flatten().index_select(0, flat), position.flatten().index_select(0, flat));
    }
}

/// <summary>The rows one <see cref="CachePlan"/> run kept: hook name → [rows, …], and which sequence and position each row is.</summary>
public sealed class ActivationRows : IDisposable
{
    /// <summary>Hook name → rows [rows, …] (the activation's trailing dimensions); owned here.</summary>
    public ActivationCache Cache { get; } = new();

    /// <summary>[rows] int64: the row's sequence in the batch.</summary>
    public Tensor Sequence { get; internal set; } = null!;

    /// <summary>[rows] int64: the row's position in its sequence, padding not counted.</summary>
    public Tensor Position { get; internal set; } = null!;

    /// <summary>Number of rows.</summary>
    public long Count => Sequence.shape[0];

    /// <summary>Frees the rows and their indices.</summary>
    public void Dispose()
    {
        Cache.Dispose();
        Sequence?.Dispose();
        Position?.Dispose();
    }
}
