// Zero- and mean-ablation of heads (hook_z), attention outputs and MLP outputs, scored on the final-position prediction.
using SharpLens.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Parens;

/// <summary>What to ablate: one head of a layer (its hook_z slice), a layer's attention output, or a layer's MLP output.</summary>
public sealed record AblationTarget(string Kind, int Layer, int Head = -1)
{
    public static AblationTarget OfHead(int layer, int head) => new("head", layer, head);
    public static AblationTarget Attn(int layer) => new("attn", layer);
    public static AblationTarget Mlp(int layer) => new("mlp", layer);
    public HookName Hook => Kind switch { "head" => HookName.Z(Layer), "attn" => HookName.AttnOut(Layer), _ => HookName.MlpOut(Layer) };
    /// <summary>The general component this target names (a head is its hook_z slice).</summary>
    public Component Component => new(Hook, Kind == "head" ? Head : null);
    public override string ToString() => Kind == "head" ? $"L{Layer}H{Head}" : $"L{Layer}.{Kind}";
}

/// <summary>One prompt's prediction under an ablation.</summary>
public sealed record AblatedPrompt(string Id, int Depth, bool Correct, double LogitDiff);

/// <summary>
/// Mean activations per depth at each position counted from the end (prompts are left-padded, so the last token of every
/// row lines up): hook_z [pos, head, d_head], hook_attn_out and hook_mlp_out [pos, d_model]. Computed from caches of the
/// ablation prompts themselves, one batch at a time.
/// </summary>
public sealed class MeanActivations : IDisposable
{
    readonly Dictionary<(int Depth, string Hook), (Tensor Sum, Tensor Count)> sums = new();

    /// <summary>Accumulates the cached batch (full activations of the hooks in <paramref name="names"/>).</summary>
    public void Add(ActivationCache cache, PromptBatch batch, IEnumerable<HookName> names)
    {
        foreach (var name in names)
        {
            var act = cache[name].to(ScalarType.Float32);                                    // [batch, pos, …]
            for (int b = 0; b < batch.Prompts.Count; b++)
            {
                var rows = act[b].narrow(0, batch.Offset[b], batch.Width - batch.Offset[b]).flip(0);    // [len, …] from the end
                Accumulate((batch.Prompts[b].Depth, name.ToString()), rows, ones(rows.shape[0]));
            }
        }
    }

    /// <summary>
    /// Adds the sums and counts of <paramref name="part"/> (e.g. one batch's) to these. Summing per-batch parts in batch
    /// order gives the same bits whether the parts were computed in this process or read back from a shard's file.
    /// </summary>
    public void Merge(MeanActivations part)
    {
        foreach (var (key, (sum, count)) in part.sums.OrderBy(kv => kv.Key.Depth).ThenBy(kv => kv.Key.Hook, StringComparer.Ordinal))
            Accumulate(key, sum, count);
    }

    void Accumulate((int Depth, string Hook) key, Tensor rowSum, Tensor rowCount)
    {
        long len = rowSum.shape[0];
        if (!sums.TryGetValue(key, out var acc))
            acc = (zeros([len, .. rowSum.shape.Skip(1)]).DetachFromDisposeScope(), zeros(len).DetachFromDisposeScope());
        if (acc.Sum.shape[0] < len)
        {
            var grown = zeros([len, .. rowSum.shape.Skip(1)]); grown.narrow(0, 0, acc.Sum.shape[0]).copy_(acc.Sum);
            var gc = zeros(len); gc.narrow(0, 0, acc.Count.shape[0]).copy_(acc.Count);
            acc.Sum.Dispose(); acc.Count.Dispose();
            acc = (grown.DetachFromDisposeScope(), gc.DetachFromDisposeScope());
        }
        acc.Sum.narrow(0, 0, len).add_(rowSum);
        acc.Count.narrow(0, 0, len).add_(rowCount);
        sums[key] = acc;
    }

    /// <summary>The sums and counts as named tensors (<c>{depth}|{hook}|sum</c>, <c>…|count</c>), for a file.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> Tensors(string prefix = "") =>
        sums.OrderBy(kv => kv.Key.Depth).ThenBy(kv => kv.Key.Hook, StringComparer.Ordinal)
            .SelectMany(kv => new[] { ($"{prefix}{kv.Key.Depth}|{kv.Key.Hook}|sum", kv.Value.Sum), ($"{prefix}{kv.Key.Depth}|{kv.Key.Hook}|count", kv.Value.Count) });

    /// <summary>Sums and counts read back from <see cref="Tensors"/> names (the prefix removed); copies the tensors.</summary>
    public static MeanActivations FromTensors(IEnumerable<(string Name, Tensor Tensor)> named)
    {
        var m = new MeanActivations();
        var parts = new Dictionary<(int, string), (Tensor? Sum, Tensor? Count)>();
        foreach (var (name, t) in named)
        {
            var f = name.Split('|');
            if (f.Length != 3 || !int.TryParse(f[0], out var depth) || f[2] is not ("sum" or "count"))
                throw new InvalidDataException($"expected mean-activation tensors named DEPTH|HOOK|sum or DEPTH|HOOK|count, found '{name}'");
            var copy = t.to(ScalarType.Float32).clone().DetachFromDisposeScope();
            parts.TryGetValue((depth, f[1]), out var p);
            parts[(depth, f[1])] = f[2] == "sum" ? (copy, p.Count) : (p.Sum, copy);
        }
        foreach (var (key, (sum, count)) in parts)
        {
            if (sum is null || count is null || count.shape[0] != sum.shape[0])
                throw new InvalidDataException($"mean activations of {key.Item2} at depth {key.Item1}: expected a sum and a count of the same length, found {(sum is null ? "no sum" : count is null ? "no count" : $"{sum.shape[0]} vs {count.shape[0]} positions")}");
            m.sums[key] = (sum, count);
        }
        return m;
    }

    /// <summary>The mean for a depth and hook aligned to a left-padded batch of <paramref name="width"/> positions: [width, …].</summary>
    public Tensor Aligned(int depth, HookName name, long width)
    {
        if (!sums.TryGetValue((depth, name.ToString()), out var acc))
            throw new KeyNotFoundException($"no mean activation for {name} at depth {depth}; expected MeanActivations.Add over prompts of that depth first");
        var c = acc.Count.clamp_min(1);
        while (c.dim() < acc.Sum.dim()) c = c.unsqueeze(-1);
        var mean = acc.Sum / c;                                                              // [len, …] from the end
        long have = Math.Min(width, mean.shape[0]);
        var aligned = zeros([width, .. mean.shape.Skip(1)]);
        aligned.narrow(0, width - have, have).copy_(mean.narrow(0, 0, have).flip(0));
        return aligned;
    }

    /// <summary>Each row's depth mean aligned to a batch (rows may differ in depth): [batch, width, …].</summary>
    public Tensor Aligned(PromptBatch batch, HookName name) =>
        stack(batch.Prompts.Select(p => Aligned(p.Depth, name, batch.Width)).ToArray(), 0);

    public void Dispose() { foreach (var (s, c) in sums.Values) { s.Dispose(); c.Dispose(); } sums.Clear(); }
}

/// <summary>Ablation and patching hooks, and scoring a batch under them.</summary>
public static class Ablation
{
    /// <summary>
    /// A hook that replaces the target's activation with <paramref name="values"/> (broadcast over the batch: [pos, …] or
    /// [batch, pos, …]; for a head, the head's [.., pos, d_head] slice), or with zeros when it returns null.
    /// </summary>
    public static (HookName, HookFn) Replace(AblationTarget target, Func<long, Tensor?> values) =>
        Ablations.Replace(target.Component, act => values(act.shape[1]));

    /// <summary>Zero-ablation hook.</summary>
    public static (HookName, HookFn) Zero(AblationTarget target) => Ablations.Zero(target.Component);

    /// <summary>Mean-ablation hook for <paramref name="batch"/>: each row gets the mean of its own depth at each position.</summary>
    public static (HookName, HookFn) Mean(AblationTarget target, MeanActivations means, PromptBatch batch) =>
        Replace(target, width =>
        {
            var m = means.Aligned(batch, target.Hook);                                       // [batch, width, …]
            return target.Kind == "head" ? m.select(2, target.Head) : m;
        });

    /// <summary>Runs one batch under <paramref name="hooks"/> and scores each prompt's final-position prediction.</summary>
    public static IReadOnlyList<AblatedPrompt> Score(HookedModel model, PromptBatch batch, IEnumerable<(HookName, HookFn)> hooks)
    {
        using var scope = NewDisposeScope();
        using var registered = model.Hooks.AddAll(hooks);
        var logits = LastPositionCache.FinalLogits(model, batch.Ids, batch.Mask);          // [batch, d_vocab]
        var pred = logits.argmax(-1).data<long>().ToArray();
        var diff = (logits.gather(1, batch.LabelIds.unsqueeze(1)) - logits.gather(1, batch.CounterfactualIds.unsqueeze(1))).squeeze(1).data<float>().ToArray();
        return batch.Prompts.Select((p, b) => new AblatedPrompt(p.Example.Id, p.Depth, pred[b] == p.LabelId, diff[b])).ToList();
    }

    /// <summary>Every target of a model: each head, then each layer's attention and MLP.</summary>
    public static IReadOnlyList<AblationTarget> AllTargets(int nLayers, int nHeads) =>
        Enumerable.Range(0, nLayers).SelectMany(l => Enumerable.Range(0, nHeads).Select(h => AblationTarget.OfHead(l, h))
            .Append(AblationTarget.Attn(l)).Append(AblationTarget.Mlp(l))).ToList();
}
