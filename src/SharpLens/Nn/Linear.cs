// Leaf layers with HF parameter names and layouts: Linear ([out,in]), Embedding, RMSNorm, LayerNorm.
using SharpLens.Hooks;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>y = x Wᵀ + b with W [out, in] (nn.Linear layout). Parameters start uninitialised (load or init them).</summary>
public sealed class Linear : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight;
    public readonly Parameter? bias;
    public long InFeatures { get; }
    public long OutFeatures { get; }

    public Linear(long inFeatures, long outFeatures, bool hasBias, string name = "Linear") : base(name)
    {
        InFeatures = inFeatures; OutFeatures = outFeatures;
        weight = new Parameter(Params.Empty(outFeatures, inFeatures));
        if (hasBias) bias = new Parameter(Params.Empty(outFeatures));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Precision.Linear(x, weight, bias);
}

/// <summary>A lookup table [num, dim] (nn.Embedding).</summary>
public sealed class Embedding : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight;
    public Embedding(long num, long dim, string name = "Embedding") : base(name)
    {
        weight = new Parameter(Params.Empty(num, dim));
        RegisterComponents();
    }
    public override Tensor forward(Tensor ids) => weight.index_select(0, ids.flatten()).view([.. ids.shape, weight.shape[1]]);
}

/// <summary>
/// A normalisation layer split so analyses reuse the forward's own maths: the divisor <see cref="Scale"/>, the forward
/// <see cref="Apply"/>, and <see cref="Linear"/>, the part that is linear in x once the scale is fixed (centering,
/// division, weight; no bias) — what direct logit attribution pushes each residual component through.
/// </summary>
public interface INorm
{
    /// <summary>The divisor in float32: [.., 1].</summary>
    Tensor Scale(Tensor x);
    /// <summary>The forward given a scale (model dtype).</summary>
    Tensor Apply(Tensor x, Tensor scale);
    /// <summary>Centering (LayerNorm), division by <paramref name="scale"/> and the weight, in float32, without the bias.</summary>
    Tensor Linear(Tensor x, Tensor scale);
    /// <summary>The additive bias (null for RMSNorm).</summary>
    Tensor? Bias { get; }
}

/// <summary>
/// RMSNorm as HF Llama: computed in float32, y = w · x / sqrt(mean(x²) + eps), cast back to the input dtype before the weight.
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>, INorm
{
    public readonly Parameter weight;
    public double Eps { get; }
    public RmsNorm(long dim, double eps, string name = "RmsNorm") : base(name)
    {
        Eps = eps;
        weight = new Parameter(Params.Empty(dim));
        RegisterComponents();
    }

    /// <summary>The divisor sqrt(mean(x²) + eps) in float32: [.., 1].</summary>
    public Tensor Scale(Tensor x) => (x.to(ScalarType.Float32).pow(2).mean([-1], keepdim: true) + Eps).sqrt();

    /// <summary>Applies the norm given its scale (so hooks on the scale take effect).</summary>
    public Tensor Apply(Tensor x, Tensor scale) => weight * Normalized(x, scale).to(x.dtype);

    /// <inheritdoc/>
    public Tensor Linear(Tensor x, Tensor scale) => Normalized(x, scale) * weight.to(ScalarType.Float32);

    /// <inheritdoc/>
    public Tensor? Bias => null;

    static Tensor Normalized(Tensor x, Tensor scale) => x.to(ScalarType.Float32) / scale;

    /// <summary>The norm with its hook_scale site fired (a hook there may replace the divisor).</summary>
    public Tensor Forward(Tensor x, HookPoint scale) => Apply(x, scale.Run(Scale(x)));

    public override Tensor forward(Tensor x) => Apply(x, Scale(x));
}

/// <summary>LayerNorm: y = (x − mean) / sqrt(var + eps) · w + b, statistics in float32.</summary>
public sealed class LayerNorm : nn.Module<Tensor, Tensor>, INorm
{
    public readonly Parameter weight;
    public readonly Parameter bias;
    public double Eps { get; }
    public LayerNorm(long dim, double eps, string name = "LayerNorm") : base(name)
    {
        Eps = eps;
        weight = new Parameter(Params.Empty(dim));
        bias = new Parameter(Params.Empty(dim));
        RegisterComponents();
    }

    /// <summary>The divisor sqrt(var(x) + eps) in float32: [.., 1].</summary>
    public Tensor Scale(Tensor x) => (x.to(ScalarType.Float32).var([-1], unbiased: false, keepdim: true) + Eps).sqrt();

    /// <summary>Applies the norm given its scale (so hooks on the scale take effect).</summary>
    public Tensor Apply(Tensor x, Tensor scale) => Normalized(x, scale).to(x.dtype) * weight + bias;

    /// <inheritdoc/>
    public Tensor Linear(Tensor x, Tensor scale) => Normalized(x, scale) * weight.to(ScalarType.Float32);

    /// <inheritdoc/>
    public Tensor? Bias => bias;

    static Tensor Normalized(Tensor x, Tensor scale)
    {
        var xf = x.to(ScalarType.Float32);
        return (xf - xf.mean([-1], keepdim: true)) / scale;
    }

    /// <summary>
    /// The norm with its hook_scale site fired (a hook there may replace the divisor). Where nothing listens there, in
    /// inference, libtorch's fused layer_norm computes the same function in one pass (statistics in float32).
    /// </summary>
    public Tensor Forward(Tensor x, HookPoint scale) =>
        FusedKernels.Norms && FusedKernels.Inference && !scale.IsActive
            ? nn.functional.layer_norm(x, [weight.shape[0]], weight, bias, Eps)
            : Apply(x, scale.Run(Scale(x)));

    public override Tensor forward(Tensor x) => Apply(x, Scale(x));
}
