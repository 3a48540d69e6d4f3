// Parity of the fused inference kernels (FusedKernels): the fixtures through `verify`'s check with only the sites that
// leave the fused attention in place, and the fused and step-by-step attention agreeing on padded batches.
using SharpLens.Analysis;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Parity;

public class FusedKernelParityTests
{
    static readonly HookFilter NoScoresOrPattern =
        HookFilter.Where(n => n.Site != Site.AttnScores && n.Site != Site.Pattern, "not scores or pattern");

    // fp32 atol 1e-4, verify's bound. With hook_pattern unhooked every layer runs scaled_dot_product_attention.
    [FixtureTheory]
    [InlineData("gpt2")]
    [InlineData("llama-gqa")]
    [InlineData("tiny-llama-tied")]
    [InlineData("stories260K")]
    public void Fused_attention_matches_every_reference_tensor(string fixture)
    {
        var dir = Fixtures.Model(fixture);
        using var model = ModelLoader.Load(dir);
        var result = ReferenceCheck.Run(model, Path.Combine(dir, "reference.safetensors"), 1e-4, NoScoresOrPattern);
        var bad = result.Tensors.Where(t => !t.Ok).Select(t => $"{t.Name}: max|Δ|={t.MaxAbsDiff:g3} {t.Problem}").ToList();
        Assert.True(bad.Count == 0, $"{fixture}: {bad.Count} of {result.Tensors.Count} tensors off:\n" + string.Join("\n", bad));
        Assert.Contains(result.Tensors, t => t.Name == "logits");
        Assert.Contains(result.Tensors, t => t.Name.Contains("hook_resid_post"));
        Assert.Contains(result.Skipped, s => s.Contains("hook_pattern"));
    }

    // A fully masked query row (a left-padded position) must get the same finite output on both paths: the fused
    // kernel adds a finite minimum, as the step-by-step path fills with one, instead of -inf (which would give NaN).
    [FixtureTheory]
    [InlineData("gpt2")]
    [InlineData("llama-gqa")]
    public void Fused_and_step_by_step_attention_agree_on_padded_batches(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        var ids = tensor(new long[] { 0, 0, 0, 5, 9, 17, 1, 5, 9, 17, 33, 2 }).reshape(2, 6);
        var mask = tensor(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1 }).reshape(2, 6);
        using var fused = model.Run(ids, mask);
        using var stepwise = model.RunWithCache(ids, HookFilter.Site(Site.Pattern), mask);
        Assert.False(fused.isnan().any().item<bool>(), "NaN in the fused run");
        TensorAssert.Close(stepwise.Logits!, fused, 1e-4, "logits at every position, padded ones included");
    }
}
