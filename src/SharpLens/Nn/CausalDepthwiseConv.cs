// A causal depthwise 1-D convolution over time (Mamba's conv1d, the CodeSSM-HF short-convolution path).
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>
/// y[t, c] = Σ_{j&lt;k} w[c, 0, j] · x[t − (k−1) + j, c] + b[c], zero left padding (nn.Conv1d(groups=channels,
/// padding=k−1) truncated to the input length). Weight [channels, 1, k] as PyTorch stores it.
/// </summary>
public sealed class CausalDepthwiseConv : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight;
    public readonly Parameter? bias;
    public long Channels { get; }
    public long KernelSize { get; }

    public CausalDepthwiseConv(long channels, long kernelSize, bool hasBias, string name = "conv1d") : base(name)
    {
        if (kernelSize < 1) throw new ArgumentException($"convolution kernel size must be ≥ 1, found {kernelSize}");
        Channels = channels; KernelSize = kernelSize;
        weight = new Parameter(Params.Empty(channels, 1, kernelSize));
        if (hasBias) bias = new Parameter(Params.Empty(channels));
        RegisterComponents();
    }

    /// <summary>x [batch, pos, channels] → [batch, pos, channels].</summary>
    public override Tensor forward(Tensor x)
    {
        long t = x.shape[1];
        var y = nn.functional.conv1d(x.transpose(1, 2), weight, bias, padding: KernelSize - 1, groups: Channels); // [batch, channels, pos+k-1]
        return y.narrow(2, 0, t).transpose(1, 2);
    }

    /// <summary>PyTorch's default Conv1d init: U(−1/√fan_in, 1/√fan_in) for weight and bias (fan_in = k).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        using var _ = no_grad();
        double bound = 1.0 / Math.Sqrt(KernelSize);
        weight.uniform_(-bound, bound, generator);
        bias?.uniform_(-bound, bound, generator);
    }
}
