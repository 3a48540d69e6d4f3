// Activation functions by their HF config names (ACT2FN), rejecting unknown names.
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>HF activation names → functions.</summary>
public static class Activations
{
    public static Func<Tensor, Tensor> Get(string name, string configPath) => name switch
    {
        "silu" or "swish" => x => nn.functional.silu(x),
        "gelu" => x => nn.functional.gelu(x),                                                 // exact erf form
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => GeluTanh,
        "relu" => x => nn.functional.relu(x),
        "tanh" => x => x.tanh(),
        _ => throw new NotSupportedException($"{configPath}: activation '{name}' is not supported (silu, gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, tanh are)"),
    };

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))); in inference libtorch's fused gelu(tanh) (<see cref="FusedKernels.Gelu"/>).</summary>
    public static Tensor GeluTanh(Tensor x) =>
        FusedKernels.Gelu && FusedKernels.Inference
            ? nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh)
            : 0.5 * x * (1.0 + (Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x.pow(3))).tanh());
}
