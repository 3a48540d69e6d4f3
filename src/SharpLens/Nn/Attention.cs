// The attention core shared by all Transformer families: masks, scores, pattern, weighted values.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>Mask and position helpers. Masked scores get the dtype's most negative value (finite, like HF), so a fully
/// masked row (a padded query) stays finite.</summary>
public static class Masks
{
    /// <summary>Position ids from an attention mask: cumsum(mask) − 1 at real tokens (0 at padding), so left padding does not shift positions.</summary>
    public static Tensor PositionIds(Tensor? attentionMask, long batch, long pos, Device device)
    {
        if (attentionMask is null) return arange(pos, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, pos);
        var m = attentionMask.to(ScalarType.Int64);
        return (m.cumsum(1, ScalarType.Int64) - 1).clamp_min(0) * m;
    }

    /// <summary>Boolean mask [batch, 1, q, k]: true where attention is allowed (causal and/or key padding).</summary>
    public static Tensor Allowed(Tensor? attentionMask, long batch, long pos, bool causal, Device device)
    {
        var allowed = causal
            ? ones(pos, pos, dtype: ScalarType.Bool, device: device).tril().view(1, 1, pos, pos)
            : ones(1, 1, pos, pos, dtype: ScalarType.Bool, device: device);
        if (attentionMask is not null)
            allowed = allowed.logical_and(attentionMask.to(ScalarType.Bool).view(batch, 1, 1, pos));
        return allowed;
    }

    /// <summary>Scores with disallowed entries set to the dtype's minimum.</summary>
    public static Tensor Apply(Tensor scores, Tensor allowed) =>
        scores.masked_fill(allowed.logical_not(), MinValue(scores.dtype));

    public static double MinValue(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => double.MinValue,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float16 => -65504.0,
        _ => float.MinValue,
    };
}

/// <summary>
/// The causal (and padding) mask of one forward pass, built once before the layers: the boolean mask the step-by-step
/// attention fills with, and for the fused kernel either nothing (plain causal: <c>is_causal</c>) or the same mask as
/// 0 / the dtype's minimum to add to the scores — finite like <see cref="Masks.Apply"/>, so a fully masked query row
/// (a padded query) gets the same uniform pattern on both paths instead of NaN.
/// </summary>
public sealed class AttentionMask
{
    AttentionMask(Tensor allowed, Tensor? additive) { Allowed = allowed; Additive = additive; }

    /// <summary>[batch|1, 1, q, k]: true where attention is allowed.</summary>
    public Tensor Allowed { get; }

    /// <summary>[batch, 1, q, k] in the activation dtype: 0 where allowed, the dtype's minimum elsewhere; null when causal alone.</summary>
    public Tensor? Additive { get; }

    /// <summary>A causal mask, with key padding from <paramref name="attentionMask"/> ([batch, pos], 1 = real token) when given.</summary>
    public static AttentionMask Causal(Tensor? attentionMask, long batch, long pos, ScalarType dtype, Device device)
    {
        var allowed = Masks.Allowed(attentionMask, batch, pos, causal: true, device);
        var additive = attentionMask is null ? null
            : zeros(allowed.shape, dtype: dtype, device: device).masked_fill(allowed.logical_not(), Masks.MinValue(dtype));
        return new AttentionMask(allowed, additive);
    }
}

/// <summary>The fused attention path and when it may run.</summary>
public static class FusedAttention
{
    /// <summary>
    /// True when the layer may use <see cref="Run"/>: <see cref="FusedKernels.Attention"/> is on, this is inference, and
    /// neither the scores nor the pattern is hooked (the fused kernel never materialises them). q, k, v and z stay
    /// hookable: they are the kernel's inputs and output.
    /// </summary>
    public static bool Applies(HookPoint scores, HookPoint pattern) =>
        FusedKernels.Attention && FusedKernels.Inference && !scores.IsActive && !pattern.IsActive;

    /// <summary>softmax(q kᵀ / √d_head + mask) v. q, k, v [batch, head, pos, d_head] (k, v with every query head's kv) → [batch, head, pos, d_head].</summary>
    public static Tensor Run(Tensor q, Tensor k, Tensor v, AttentionMask mask) =>
        nn.functional.scaled_dot_product_attention(q, k, v, mask.Additive, is_casual: mask.Additive is null);
}
