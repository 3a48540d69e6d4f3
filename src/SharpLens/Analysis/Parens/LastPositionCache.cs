// A cache that keeps only the final position of each hooked activation (what the parens study needs), and prompt batches.
using SharpLens.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Parens;

/// <summary>
/// Activations at the last position only, in float32: residual-like sites [batch, d_model], hook_result
/// [batch, head, d_model], hook_pattern [batch, head, key_pos] (the final query's row), ln_final.hook_scale [batch, 1];
/// plus the final logits [batch, d_vocab]. Full activations are never kept, so a 7B model caches a few MB per prompt.
/// </summary>
internal sealed class LastPositionCache : IDisposable
{
    readonly ActivationCache inner = new();

    /// <summary>Logits at the last position [batch, d_vocab] (float32).</summary>
    public Tensor Logits { get; private set; } = null!;

    public Tensor this[HookName name] => inner[name];
    public bool Contains(HookName name) => inner.Contains(name);

    /// <summary>Runs the model once on a left-padded batch, keeping the last position of every hook in <paramref name="names"/>.</summary>
    public static LastPositionCache Run(HookedModel model, PromptBatch batch, IEnumerable<HookName> names,
        IEnumerable<(HookName Name, HookFn Fn)>? extraHooks = null)
    {
        var cache = new LastPositionCache();
        try
        {
            var recorders = names.Select(n => (n, (HookFn)((act, name) =>
            {
                // hook_pattern is [batch, head, q, k]: keep the final query's row; every other site has pos in dim 1
                var last = name.Site == Site.Pattern || name.Site == Site.AttnScores ? act.select(2, -1) : act.select(1, -1);
                cache.inner.Add(name.ToString(), last.detach().to(ScalarType.Float32).clone());
                return null;
            }))).ToList();
            using var extra = model.Hooks.AddAll(extraHooks ?? []);
            using var rec = model.Hooks.AddAll(recorders);
            cache.Logits = FinalLogits(model, batch.Ids, batch.Mask);
            return cache;
        }
        catch { cache.Dispose(); throw; }
    }

    /// <summary>
    /// Logits at the last position only [batch, d_vocab] (float32). The pass stops at <c>ln_final.hook_normalized</c>
    /// (<see cref="HookedModel.RunTo"/>) and the last position alone is unembedded in the model's dtype, as the model
    /// itself does: small models spend most of a pass unembedding every position.
    /// </summary>
    public static Tensor FinalLogits(HookedModel model, Tensor ids, Tensor? mask)
    {
        var readout = model.Readout;
        if (readout is null || !model.HookCatalog.Any(h => h.Name == HookName.LnFinalNormalized))
        {
            using var s = NewDisposeScope();
            return model.Run(ids, mask).select(1, -1).to(ScalarType.Float32).clone().MoveToOuterDisposeScope();
        }
        using var scope = NewDisposeScope();
        var normed = model.RunTo(HookName.LnFinalNormalized, ids, mask).select(1, -1);         // [batch, d_model], model dtype
        var logits = nn.functional.linear(normed, readout.WU);                                 // [batch, d_vocab], model dtype
        if (readout.BU is not null) logits = logits + readout.BU;
        return logits.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        inner.Dispose();
        Logits?.Dispose();
    }
}

/// <summary>
/// Prompts left-padded into one batch so that every row's last position is its final prompt token
/// (positions come from the mask, so padding does not shift them). <see cref="Offset"/>[b] is row b's padding width.
/// </summary>
public sealed class PromptBatch : IDisposable
{
    public required IReadOnlyList<PreparedPrompt> Prompts { get; init; }
    /// <summary>[batch, pos] int64 ids (0 at padding).</summary>
    public required Tensor Ids { get; init; }
    /// <summary>[batch, pos] mask (1 real, 0 padding), or null when no row is padded.</summary>
    public Tensor? Mask { get; init; }
    public required int[] Offset { get; init; }
    public int Width => (int)Ids.shape[1];

    /// <summary>Label and counterfactual ids as [batch] int64 tensors.</summary>
    public Tensor LabelIds => tensor(Prompts.Select(p => (long)p.LabelId).ToArray());
    public Tensor CounterfactualIds => tensor(Prompts.Select(p => (long)p.CounterfactualId).ToArray());

    public static PromptBatch Of(IReadOnlyList<PreparedPrompt> prompts)
    {
        if (prompts.Count == 0) throw new ArgumentException("expected at least one prompt in a batch, found none");
        int width = prompts.Max(p => p.Ids.Length);
        var ids = new long[prompts.Count * width];
        var mask = new long[prompts.Count * width];
        var offset = new int[prompts.Count];
        for (int b = 0; b < prompts.Count; b++)
        {
            offset[b] = width - prompts[b].Ids.Length;
            for (int i = 0; i < prompts[b].Ids.Length; i++) { ids[b * width + offset[b] + i] = prompts[b].Ids[i]; mask[b * width + offset[b] + i] = 1; }
        }
        bool padded = offset.Any(o => o > 0);
        return new PromptBatch
        {
            Prompts = prompts, Ids = tensor(ids).reshape(prompts.Count, width).DetachFromDisposeScope(),
            Mask = padded ? tensor(mask).reshape(prompts.Count, width).DetachFromDisposeScope() : null, Offset = offset,
        };
    }

    /// <summary>
    /// Splits prompts into batches of at most <paramref name="size"/>, sorted by length so rows rarely need padding;
    /// grouped by depth first unless <paramref name="byDepth"/> is false.
    /// </summary>
    public static IEnumerable<IReadOnlyList<PreparedPrompt>> Chunks(IEnumerable<PreparedPrompt> prompts, int size, bool byDepth = true)
    {
        if (size < 1) throw new ArgumentException($"expected a batch size ≥ 1, found {size}");
        foreach (var group in prompts.GroupBy(p => byDepth ? p.Depth : 0).OrderBy(g => g.Key))
        {
            var sorted = group.OrderBy(p => p.Ids.Length).ToList();
            for (int i = 0; i < sorted.Count; i += size) yield return sorted.GetRange(i, Math.Min(size, sorted.Count - i));
        }
    }

    public void Dispose() { Ids.Dispose(); Mask?.Dispose(); }
}
