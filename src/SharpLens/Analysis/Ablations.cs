// Ablation hooks: replace a component (a hook's activation, or one head's slice of it) with zeros, a mean, or another run's values.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Analysis;

/// <summary>
/// A model component: a hook's whole activation, or head <see cref="Head"/> of a per-head hook (hook_z, hook_q, hook_k,
/// hook_v, hook_result: [batch, pos, head, …], head in dim 2).
/// </summary>
public sealed record Component(HookName Hook, int? Head = null)
{
    /// <summary>The hook name, with <c>[head h]</c> for one head.</summary>
    public override string ToString() => Head is int h ? $"{Hook}[head {h}]" : Hook.ToString();

    /// <summary>The component's slice of an activation of its hook (a view: writing to it writes the activation).</summary>
    public Tensor Slot(Tensor act) => Head is int h ? act.select(2, h) : act;
}

/// <summary>How an ablation replaces a component.</summary>
public enum AblationMode
{
    /// <summary>Replace with zeros.</summary>
    Zero,
    /// <summary>Replace with the mean over a reference set.</summary>
    Mean,
    /// <summary>Replace with the activation of another input.</summary>
    Resample,
}

/// <summary>Hooks that ablate a component; register them with <c>RunWithHooks</c> or <c>Hooks.AddAll</c>.</summary>
public static class Ablations
{
    /// <summary>
    /// A hook that replaces the component's slot with <paramref name="values"/>(activation) — broadcast to the slot
    /// ([pos, …] or [batch, pos, …]) — or with zeros when it returns null. Optionally only at <paramref name="positions"/>.
    /// </summary>
    public static (HookName, HookFn) Replace(Component c, Func<Tensor, Tensor?> values, IReadOnlyList<long>? positions = null) => (c.Hook, (act, _) =>
    {
        var v = values(act);
        var copy = act.clone();
        var slot = c.Slot(copy);                                                            // [batch, pos, …]
        if (positions is null)
        {
            if (v is null) slot.zero_(); else slot.copy_(v.to(act.dtype));
            return copy;
        }
        foreach (var p in positions)
        {
            var at = slot.select(1, p);
            if (v is null) at.zero_();
            else at.copy_((v.dim() == slot.dim() ? v.select(1, p) : v.dim() == slot.dim() - 1 ? v[p] : v).to(act.dtype));
        }
        return copy;
    });

    /// <summary>Zero-ablation.</summary>
    public static (HookName, HookFn) Zero(Component c, IReadOnlyList<long>? positions = null) => Replace(c, _ => null, positions);

    /// <summary>Mean-ablation with a precomputed mean (from <see cref="MeanOf"/>): [pos, …] per position, or [...] for all positions.</summary>
    public static (HookName, HookFn) Mean(Component c, Tensor mean, IReadOnlyList<long>? positions = null) => Replace(c, _ => mean, positions);

    /// <summary>
    /// Resample-ablation: the component takes its values from another run's activation of the same hook
    /// (<paramref name="source"/> [batch|1, pos, …] of the full hook, e.g. a cache of different prompts).
    /// </summary>
    public static (HookName, HookFn) Resample(Component c, Tensor source, IReadOnlyList<long>? positions = null) => Replace(c, _ => c.Slot(source), positions);

    /// <summary>
    /// The mean of a component over a reference set cached in <paramref name="reference"/>: over rows ([pos, …]) or, with
    /// <paramref name="overPositions"/>, over rows and positions ([…]). <paramref name="mask"/> [batch, pos] excludes padding.
    /// </summary>
    public static Tensor MeanOf(ActivationCache reference, Component c, bool overPositions = false, Tensor? mask = null)
    {
        using var scope = NewDisposeScope();
        var a = c.Slot(reference[c.Hook]).to(ScalarType.Float32);                          // [batch, pos, …]
        var w = (mask ?? ones(a.shape[0], a.shape[1])).to(ScalarType.Float32);
        var wb = w;
        while (wb.dim() < a.dim()) wb = wb.unsqueeze(-1);
        var sum = (a * wb).sum(dim: 0);      // dim: named, a literal 0 would bind to sum(ScalarType)                                                           // [pos, …]
        var count = w.sum(dim: 0);                                                                // [pos]
        if (overPositions) { sum = sum.sum(dim: 0); count = count.sum(); }
        while (count.dim() < sum.dim()) count = count.unsqueeze(-1);
        return (sum / count.clamp_min(1)).MoveToOuterDisposeScope();
    }

    /// <summary>An ablation hook of the given mode: Mean needs a mean (<see cref="MeanOf"/>), Resample a source activation.</summary>
    public static (HookName, HookFn) Of(AblationMode mode, Component c, Tensor? meanOrSource = null, IReadOnlyList<long>? positions = null) => mode switch
    {
        AblationMode.Zero => Zero(c, positions),
        AblationMode.Mean => Mean(c, meanOrSource ?? throw new ArgumentException("mean-ablation expects a mean activation, found none"), positions),
        _ => Resample(c, meanOrSource ?? throw new ArgumentException("resample-ablation expects a source activation, found none"), positions),
    };
}
