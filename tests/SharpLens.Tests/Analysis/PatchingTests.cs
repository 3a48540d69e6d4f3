// Activation patching against runs on edited token ids, identities at the ends of the residual stream, and z vs result heads.
using SharpLens.Analysis;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Analysis;

public class PatchingTests
{
    static (Tensor Clean, Tensor Corrupted) Pair(HookedModel model)
    {
        var clean = LogitLensTests.Ids(model.Info.DVocab, 1, 6, seed: 11);
        var corrupted = clean.clone();
        corrupted[0, 1] = clean[0, 1] + 1;
        corrupted[0, 3] = clean[0, 3] + 2;
        return (clean, corrupted);
    }

    [FixtureTheory]
    [InlineData("llama-gqa")]
    [InlineData("gpt2")]                 // learned positions: resid_pre 0 is token + position embedding
    [InlineData("gpt-bigcode")]
    [InlineData("mamba")]                // residual patching needs no heads
    public void Denoising_resid_pre_0_at_a_position_equals_running_on_ids_with_that_clean_token(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        using var scope = NewDisposeScope();
        var (clean, corrupted) = Pair(model);
        var metric = Patching.LogitDiff(5, 7);
        var grid = Patching.Run(model, clean, corrupted, Site.ResidPre, metric);
        Assert.Equal("position", grid.Columns);
        Assert.Equal(metric(model.Run(clean)), grid.Clean, 6);
        Assert.Equal(metric(model.Run(corrupted)), grid.Corrupted, 6);
        for (int p = 0; p < 6; p++)
        {
            var swapped = corrupted.clone();
            swapped[0, p] = clean[0, p];
            double expected = metric(model.Run(swapped));
            Assert.True(Math.Abs(expected - grid.Values[0][p]) < 1e-4, $"{fixture} position {p}: patched {grid.Values[0][p]} vs edited ids {expected}");
        }
        // the last layer's resid_post at the last position carries the whole prediction
        int last = model.Info.NLayers - 1;
        var post = Patching.Run(model, clean, corrupted, Site.ResidPost, metric);
        Assert.True(Math.Abs(post.Values[last][5] - post.Clean) < 1e-4);
        var noised = Patching.Run(model, clean, corrupted, Site.ResidPost, metric, PatchMode.Noising);
        Assert.True(Math.Abs(noised.Values[last][5] - noised.Corrupted) < 1e-4);
        Assert.Equal(0, model.Hooks.Count);
    }

    [FixtureTheory]
    [InlineData("llama-gqa")]
    [InlineData("gpt2")]
    public void Patching_a_head_by_its_z_or_by_its_result_gives_the_same_metric(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        using var scope = NewDisposeScope();
        var (clean, corrupted) = Pair(model);
        var metric = Patching.LogitDiff(5, 7);
        foreach (var mode in new[] { PatchMode.Denoising, PatchMode.Noising })
        {
            var z = Patching.Run(model, clean, corrupted, Site.Z, metric, mode);
            var result = Patching.Run(model, clean, corrupted, Site.Result, metric, mode);
            Assert.Equal(model.Info.NHeads, z.Values[0].Length);
            for (int l = 0; l < model.Info.NLayers; l++)
                for (int h = 0; h < model.Info.NHeads; h++)
                    Assert.True(Math.Abs(z.Values[l][h] - result.Values[l][h]) < 1e-4, $"{mode} L{l}H{h}: z {z.Values[l][h]} vs result {result.Values[l][h]}");
            Assert.Contains(z.Values.SelectMany(v => v), v => Math.Abs(v - (mode == PatchMode.Denoising ? z.Corrupted : z.Clean)) > 1e-6);
        }
    }

    [FixtureFact]
    public void Patching_a_run_with_itself_changes_nothing_and_mismatched_lengths_are_refused()
    {
        using var model = ModelLoader.Load(Fixtures.Model("gpt2"));
        var (clean, _) = Pair(model);
        var metric = Patching.LogitDiff(5, 7);
        foreach (var site in new[] { Site.AttnOut, Site.MlpOut, Site.ResidMid })
        {
            var grid = Patching.Run(model, clean, clean, site, metric);
            Assert.All(grid.Values.SelectMany(v => v), v => Assert.Equal(grid.Clean, v, 5));
        }
        var e = Assert.Throws<ArgumentException>(() => Patching.Run(model, clean, clean.narrow(1, 0, 4), Site.ResidPre, metric));
        Assert.Contains("same shape", e.Message);
    }
}
