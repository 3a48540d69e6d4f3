// The attention core shared by all Transformer families: masks, scores, pattern, weighted values.
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
