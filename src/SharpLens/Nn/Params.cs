// Uninitialised parameter storage in the dtype the current model construction asks for (per async flow, not global).
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>
/// Leaves allocate parameters with <see cref="Empty"/>. The loader wraps construction in <see cref="Use"/> so a bfloat16
/// model is built in bfloat16 without touching torch's process-wide default dtype (which would leak into other threads).
/// </summary>
public static class Params
{
    static readonly AsyncLocal<ScalarType?> Current = new();

    /// <summary>The dtype parameters are created in: the innermost <see cref="Use"/>, else float32.</summary>
    public static ScalarType DType => Current.Value ?? ScalarType.Float32;

    /// <summary>Uninitialised storage (pages are not touched until written, so a loader can replace it cheaply).</summary>
    public static Tensor Empty(params long[] shape) => empty(shape, dtype: DType);

    /// <summary>Builds parameters in <paramref name="dtype"/> until disposed.</summary>
    public static IDisposable Use(ScalarType dtype)
    {
        var previous = Current.Value;
        Current.Value = dtype;
        return new Restore(previous);
    }

    sealed class Restore(ScalarType? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
