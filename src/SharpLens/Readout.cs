// The linear readout of a causal LM: final norm (RMS or Layer) followed by the unembedding.
using static TorchSharp.torch;

namespace SharpLens;

/// <summary>Kind of the final normalisation before the unembedding.</summary>
public enum NormKind { None, RmsNorm, LayerNorm }

/// <summary>
/// Final norm + unembedding. For direct logit attribution the norm is linear once its scale is fixed from the same run:
/// normalized = (x − mean(x) if LayerNorm) / scale · w + b.
/// </summary>
public sealed class Readout
{
    public required NormKind Norm { get; init; }
    public Tensor? NormWeight { get; init; }     // [d_model]
    public Tensor? NormBias { get; init; }       // [d_model]
    public double Eps { get; init; }
    /// <summary>Unembedding [d_vocab, d_model] in nn.Linear layout (rows are token directions).</summary>
    public required Tensor WU { get; init; }
    public Tensor? BU { get; init; }             // [d_vocab]

    /// <summary>The scale the norm divides by: [.., 1].</summary>
    public Tensor Scale(Tensor x)
    {
        var xf = x.to(ScalarType.Float32);
        return Norm switch
        {
            NormKind.RmsNorm => (xf.pow(2).mean([-1], keepdim: true) + Eps).sqrt(),
            NormKind.LayerNorm => (xf.var([-1], unbiased: false, keepdim: true) + Eps).sqrt(),
            _ => ones_like(xf.narrow(-1, 0, 1)),
        };
    }

    /// <summary>Applies the final norm with its own scale (logit lens).</summary>
    public Tensor Normalize(Tensor x) => Normalize(x, Scale(x));

    /// <summary>Applies the final norm with a given scale (attribution uses the scale of the full residual).</summary>
    public Tensor Normalize(Tensor x, Tensor scale)
    {
        var xf = x.to(ScalarType.Float32);
        if (Norm == NormKind.LayerNorm) xf = xf - xf.mean([-1], keepdim: true);
        var y = Norm == NormKind.None ? xf : xf / scale;
        if (NormWeight is not null) y = y * NormWeight.to(ScalarType.Float32);
        if (NormBias is not null) y = y + NormBias.to(ScalarType.Float32);
        return y;
    }

    /// <summary>Logits of a normalized vector: [.., d_model] → [.., d_vocab] in float32.</summary>
    public Tensor Unembed(Tensor normalized)
    {
        var y = nn.functional.linear(normalized.to(ScalarType.Float32), WU.to(ScalarType.Float32));
        return BU is null ? y : y + BU.to(ScalarType.Float32);
    }

    /// <summary>Final norm then unembedding.</summary>
    public Tensor Logits(Tensor resid) => Unembed(Normalize(resid));
}
