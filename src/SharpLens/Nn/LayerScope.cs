// Runs one layer inside its own dispose scope, so a forward pass holds one layer's temporaries at a time, not all of them.
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>
/// TorchSharp frees tensors when their scope ends (not when the last reference drops, as Python does), so without this a
/// 32-layer forward keeps every layer's temporaries alive until the end. Autograd keeps what backward needs regardless.
/// </summary>
public static class LayerScope
{
    /// <summary>Applies <paramref name="layer"/> to <paramref name="x"/> and disposes everything it made except the output.</summary>
    public static Tensor Run(Tensor x, Func<Tensor, Tensor> layer)
    {
        using var scope = NewDisposeScope();
        return layer(x).MoveToOuterDisposeScope();
    }
}
