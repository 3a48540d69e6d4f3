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

    static readonly AsyncLocal<Budget?> CurrentBudget = new();

    /// <summary>Uninitialised storage (pages are not touched until written, so a loader can replace it cheaply).
    /// Shapes are checked first: a negative dimension, an overflowing element count or one past the current
    /// <see cref="Limit"/> throws <see cref="ParameterBudgetException"/> before anything is allocated.</summary>
    public static Tensor Empty(params long[] shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ParameterBudgetException($"parameter shape [{string.Join(", ", shape)}] has a negative dimension");
            n = d != 0 && n > long.MaxValue / d ? throw new ParameterBudgetException($"parameter shape [{string.Join(", ", shape)}] has more than 2^63 elements") : n * d;
        }
        if (CurrentBudget.Value is { } b)
        {
            if (n > b.Left) throw new ParameterBudgetException($"{b.What}: a parameter of shape [{string.Join(", ", shape)}] would exceed {b.Total:N0} elements");
            b.Left -= n;
        }
        return empty(shape, dtype: DType);
    }

    /// <summary>Refuses parameters beyond <paramref name="maxElements"/> in total until disposed (the loader passes what
    /// the checkpoint can back, so a config with absurd sizes fails before allocating). <paramref name="what"/> starts the message.</summary>
    public static IDisposable Limit(long maxElements, string what)
    {
        var previous = CurrentBudget.Value;
        CurrentBudget.Value = new Budget(maxElements, what);
        return new RestoreBudget(previous);
    }

    sealed class Budget(long total, string what)
    {
        public long Total { get; } = total;
        public string What { get; } = what;
        public long Left { get; set; } = total;
    }

    sealed class RestoreBudget(Budget? previous) : IDisposable
    {
        public void Dispose() => CurrentBudget.Value = previous;
    }

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

/// <summary>A model construction that would allocate more parameters than <see cref="Params.Limit"/> allows.</summary>
public sealed class ParameterBudgetException(string message) : Exception(message);
