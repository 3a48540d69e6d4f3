// Path patching: the effect of one head (the sender) on a later head's query, key or value input only, every other head frozen.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Analysis;

/// <summary>
/// A path-patching sweep into one receiver: <see cref="Values"/>[layer][head] is the metric when that sender head's
/// output reaches only the receiver's <see cref="ReceiverInput"/> (NaN for senders at or after the receiver's layer).
/// <see cref="Clean"/>/<see cref="Corrupted"/> are the unpatched metrics.
/// </summary>
public sealed record PathPatchResult(int ReceiverLayer, int ReceiverHead, string ReceiverInput, PatchMode Mode, double Clean, double Corrupted, double[][] Values);

/// <summary>Path patching from heads to a head's q, k or v input (Wang et al. 2022, IOI).</summary>
public static class PathPatching
{
    /// <summary>
    /// For every head s before <paramref name="receiverLayer"/>: (1) run the target prompt with s's hook_z taken from the
    /// source prompt and every other head's hook_z (layers below the receiver) frozen at the target's own values — MLPs
    /// recompute; record the receiver's <paramref name="input"/> (hook_q, hook_k or hook_v) at head
    /// <paramref name="receiverHead"/> (a kv head for k/v under grouped-query attention); (2) run the target prompt with
    /// only that slice replaced by the recorded one and score it with <paramref name="metric"/>. Noising: the source is the
    /// corrupted prompt and the target the clean one (which paths are necessary); denoising: the reverse.
    /// </summary>
    public static PathPatchResult Run(HookedModel model, Tensor clean, Tensor corrupted, int receiverLayer, int receiverHead, HookSite input,
        Func<Tensor, double> metric, PatchMode mode = PatchMode.Noising, Tensor? mask = null, int sendersPerPass = 16)
    {
        if (input != Site.Q && input != Site.K && input != Site.V)
            throw new ArgumentException($"path patching expects the receiver input attn.hook_q, attn.hook_k or attn.hook_v, found {input}");
        int nl = model.Info.NLayers, nh = model.Info.NHeads;
        if (receiverLayer < 1 || receiverLayer >= nl) throw new ArgumentException($"the receiver layer must lie in [1, {nl}) (senders come before it), found {receiverLayer}");
        if (!clean.shape.SequenceEqual(corrupted.shape))
            throw new ArgumentException($"clean and corrupted ids must have the same shape (positions correspond), found [{string.Join(",", clean.shape)}] and [{string.Join(",", corrupted.shape)}]");
        if (sendersPerPass < 1) throw new ArgumentException($"sendersPerPass must be ≥ 1, found {sendersPerPass}");
        var receiverHook = HookName.Of(input, receiverLayer);
        var zs = Enumerable.Range(0, receiverLayer).Select(HookName.Z).ToArray();
        if (!model.HookCatalog.Any(h => h.Name == receiverHook) || !model.HookCatalog.Any(h => h.Name == zs[0]))
            throw new NotSupportedException($"{model.Info.Architecture} has no attention heads ({receiverHook}, {zs[0]}); path patching needs them");
        var (source, target) = mode == PatchMode.Noising ? (corrupted, clean) : (clean, corrupted);
        using var src = model.RunWithCache(source, HookFilter.Names(zs), mask);
        using var tgt = model.RunWithCache(target, HookFilter.Names([.. zs, receiverHook]), mask);
        double s = metric(src.Logits!), t = metric(tgt.Logits!);
        var (cleanMetric, corruptMetric) = mode == PatchMode.Noising ? (t, s) : (s, t);
        int slots = (int)tgt[receiverHook].shape[2];
        if (receiverHead < 0 || receiverHead >= slots) throw new ArgumentException($"{receiverHook} has {slots} heads, found receiver head {receiverHead}");

        var values = Enumerable.Range(0, nl).Select(l => Enumerable.Repeat(l < receiverLayer ? 0.0 : double.NaN, nh).ToArray()).ToArray();
        var senders = Enumerable.Range(0, receiverLayer).SelectMany(l => Enumerable.Range(0, nh).Select(h => (Layer: l, Head: h))).ToList();
        long rows = target.shape[0];
        for (int i0 = 0; i0 < senders.Count; i0 += sendersPerPass)
        {
            var group = senders.GetRange(i0, Math.Min(sendersPerPass, senders.Count - i0));
            int n = group.Count;
            using var scope = NewDisposeScope();
            var ids = target.repeat(n, 1);                                                   // copy j carries sender group[j]
            var m = mask?.repeat(n, 1);
            // (1) sender from the source, every other head frozen at the target's values; record the receiver input
            var freeze = zs.Select((name, l) => (name, (HookFn)((act, _) =>
            {
                var z = tgt[name].repeat(n, 1, 1, 1).to(act.dtype);                         // [n·batch, pos, head, d_head]
                for (int j = 0; j < n; j++)
                    if (group[j].Layer == l)
                        z.narrow(0, j * rows, rows).select(2, group[j].Head).copy_(src[name].select(2, group[j].Head));
                return z;
            }))).ToList();
            Tensor? recorded = null;
            // the forward's own dispose scope would free a plain clone when Run returns: detach it and dispose it below
            freeze.Add((receiverHook, (act, _) => { recorded = act.select(2, receiverHead).clone().DetachFromDisposeScope(); return null; }));
            using (model.Hooks.AddAll(freeze)) model.Run(ids, m).Dispose();
            using var keep = recorded!;
            // (2) only the receiver's input slice changes
            HookFn patch = (act, _) => { var c = act.clone(); c.select(2, receiverHead).copy_(recorded!); return c; };
            var logits = model.RunWithHooks(ids, [(receiverHook, patch)], m);
            for (int j = 0; j < n; j++) values[group[j].Layer][group[j].Head] = metric(logits.narrow(0, j * rows, rows));
        }
        return new PathPatchResult(receiverLayer, receiverHead, input.Path, mode, cleanMetric, corruptMetric, values);
    }
}
