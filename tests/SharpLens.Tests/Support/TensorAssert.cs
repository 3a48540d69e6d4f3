// Tensor comparison with a report of max |Δ|, where it is, and both shapes.
using static TorchSharp.torch;

namespace SharpLens.Tests.Support;

public static class TensorAssert
{
    public static void Close(Tensor expected, Tensor actual, double atol, string what = "")
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(",", actual.shape)}] vs expected [{string.Join(",", expected.shape)}]");
        using var d = (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs();
        if (d.NumberOfElements == 0) return;
        double max = d.max().item<double>();
        long at = d.flatten().argmax().item<long>();
        Assert.True(max <= atol, $"{what}: max |Δ| = {max:g4} > {atol:g} at flat index {at} (shape [{string.Join(",", expected.shape)}])");
    }

    public static void Equal(Tensor expected, Tensor actual, string what = "")
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shape mismatch");
        Assert.True(expected.eq(actual).all().item<bool>(), $"{what}: tensors differ");
    }
}
