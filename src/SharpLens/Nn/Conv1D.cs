// GPT-2's Conv1D leaf: y = x W + b with W stored [in, out] (the transpose of nn.Linear), kept raw as checkpoints hold it.
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>HF <c>Conv1D</c>: weight [in, out], bias [out]. Parameters start uninitialised (load or init them).</summary>
public sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    public readonly Parameter weight;
    public readonly Parameter bias;
    public long InFeatures { get; }
    public long OutFeatures { get; }

    public Conv1D(long inFeatures, long outFeatures, string name = "Conv1D") : base(name)
    {
        InFeatures = inFeatures; OutFeatures = outFeatures;
        weight = new Parameter(Params.Empty(inFeatures, outFeatures));
        bias = new Parameter(Params.Empty(outFeatures));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Product(x, weight, bias);                   // [.., in] → [.., out]

    /// <summary>x W + b for W [in, out]; in inference the bias is added by the product itself (addmm), one pass fewer.</summary>
    public static Tensor Product(Tensor x, Tensor weight, Tensor? bias)
    {
        if (bias is not null && FusedKernels.Bias && FusedKernels.Inference)
            return bias.addmm(x.reshape(-1, weight.shape[0]), weight).view([.. x.shape[..^1], weight.shape[1]]);
        var y = Precision.MatMul(x, weight);
        return bias is null ? y : y + bias;
    }
}
