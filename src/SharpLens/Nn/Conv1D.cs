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

    public override Tensor forward(Tensor x) => Precision.MatMul(x, weight) + bias;         // [.., in] → [.., out]
}
