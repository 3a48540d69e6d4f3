// Proves the native TorchSharp library loads on this host (the GLIBCXX weak-version fix in Directory.Build.targets).
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Tests;

public class TorchSharpLoadsTests
{
    [Fact]
    public void Matmul_runs_and_is_correct()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var c = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, c.data<float>().ToArray());
    }
}
