// Tensors a model derives from its parameters alone (no forward pass), for reference checks.
using static TorchSharp.torch;

namespace SharpLens;

/// <summary>
/// Tensors a model derives from its parameters alone, at a requested shape (e.g. S4D kernels materialised at any
/// length). <see cref="Analysis.ReferenceCheck"/> compares reference tensors of such names without running a forward pass.
/// </summary>
public interface IDerivedTensors
{
    /// <summary>The tensor called <paramref name="name"/> at <paramref name="shape"/>, or null when the model has none.</summary>
    Tensor? Derived(string name, long[] shape);
}
