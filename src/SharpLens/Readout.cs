// The linear readout of a causal LM: the model's own final-norm module followed by the unembedding.
using SharpLens.Nn;
using static TorchSharp.torch;

namespace SharpLens;

/// <summary>
/// Final norm + unembedding, for logit lens and attribution. <see cref="Norm"/> is the model's own final-norm module, so
/// the lens runs exactly the maths of the forward pass. For direct logit attribution the norm is linear once its scale is
/// fixed from the same run: <see cref="INorm.Linear"/> (centering, division, weight) plus the bias.
/// </summary>
public sealed class Readout
{
    /// <summary>The model's final-norm module (null when the model has none).</summary>
    public required INorm? Norm { get; init; }
    /// <summary>Unembedding [d_vocab, d_model] in nn.Linear layout (rows are token directions).</summary>
    public required Tensor WU { get; init; }
    /// <summary>Unembedding bias [d_vocab] (null when the model has none).</summary>
    public Tensor? BU { get; init; }

    /// <summary>The final norm's weight-free bias [d_model] (null for RMSNorm or no norm).</summary>
    public Tensor? NormBias => Norm?.Bias;

    /// <summary>The scale the norm divides by: [.., 1] in float32.</summary>
    public Tensor Scale(Tensor x) => Norm?.Scale(x) ?? ones_like(x.to(ScalarType.Float32).narrow(-1, 0, 1));

    /// <summary>The final norm as the forward pass applies it, with its own scale (logit lens).</summary>
    public Tensor Normalize(Tensor x) => Norm is null ? x : Norm.Apply(x, Norm.Scale(x));

    /// <summary>The part of the final norm linear in x for a fixed <paramref name="scale"/> (no bias), in float32.</summary>
    public Tensor Linear(Tensor x, Tensor scale) => Norm?.Linear(x, scale) ?? x.to(ScalarType.Float32);

    /// <summary>Logits of a normalized vector: [.., d_model] → [.., d_vocab] in float32.</summary>
    public Tensor Unembed(Tensor normalized)
    {
        var y = nn.functional.linear(normalized.to(ScalarType.Float32), WU.to(ScalarType.Float32));
        return BU is null ? y : y + BU.to(ScalarType.Float32);
    }

    /// <summary>Final norm then unembedding (float32 logits).</summary>
    public Tensor Logits(Tensor resid) => Unembed(Normalize(resid));
}
