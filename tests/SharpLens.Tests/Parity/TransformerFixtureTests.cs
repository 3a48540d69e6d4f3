// Parity: the gpt2, gpt-bigcode and roberta fixtures through the check `sharplens verify` runs, at fp32 atol 1e-4.
using SharpLens.Analysis;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using Xunit.Abstractions;

namespace SharpLens.Tests.Parity;

public class TransformerFixtureTests(ITestOutputHelper output)
{
    // fp32 atol 1e-4: the fixtures README's bound; independent external implementations agree to ≤ 1.7e-5.
    [FixtureTheory]
    [InlineData("gpt2")]
    [InlineData("gpt-bigcode")]
    [InlineData("roberta")]
    public void Every_reference_tensor_matches(string fixture)
    {
        var dir = Fixtures.Model(fixture);
        using var model = ModelLoader.Load(dir);
        var result = ReferenceCheck.Run(model, Path.Combine(dir, "reference.safetensors"), 1e-4);
        foreach (var t in result.Tensors) output.WriteLine($"{fixture} {t.Name}: max|Δ|={t.MaxAbsDiff:g3}");
        var bad = result.Tensors.Where(t => !t.Ok).Select(t => $"{t.Name}: max|Δ|={t.MaxAbsDiff:g3} {t.Problem}").ToList();
        Assert.True(bad.Count == 0, $"{fixture}: {bad.Count} of {result.Tensors.Count} tensors off:\n" + string.Join("\n", bad));
        Assert.Contains(result.Tensors, t => t.Name == "logits");
    }
}
