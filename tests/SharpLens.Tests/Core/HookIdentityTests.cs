// Hook identities on real fixtures: per-head results sum to attn_out, residual bookkeeping, self-patching, scoping.
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Core;

public class HookIdentityTests
{
    static Tensor Ids(HookedModel m) => SafeTensorsFile.Open(Path.Combine(m.SourceDirectory!, "reference.safetensors")).Load("input_ids").clone();

    [FixtureTheory]
    [InlineData("llama-gqa")]
    [InlineData("stories260K")]
    public void Per_head_results_sum_to_attn_out_and_resid_bookkeeping_holds(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        using var cache = model.RunWithCache(Ids(model));
        for (int l = 0; l < model.Info.NLayers; l++)
        {
            // result is [batch, pos, head, d_model]; Llama has no o_proj bias
            TensorAssert.Close(cache[HookName.AttnOut(l)], cache[HookName.Result(l)].sum(2), 1e-5, $"layer {l} Σ result");
            TensorAssert.Close(cache[HookName.ResidPost(l)], cache[HookName.ResidMid(l)] + cache[HookName.MlpOut(l)], 1e-6, $"layer {l} post");
            TensorAssert.Close(cache[HookName.ResidMid(l)], cache[HookName.ResidPre(l)] + cache[HookName.AttnOut(l)], 1e-6, $"layer {l} mid");
        }
    }

    [FixtureFact]
    public void Patching_every_hook_with_its_own_cached_value_changes_nothing()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        var ids = Ids(model);
        using var cache = model.RunWithCache(ids);
        Assert.Equal(model.HookCatalog.Count, cache.Count);
        var hooks = model.HookCatalog.Select(h => (h.Name, (HookFn)((act, name) => cache[name].clone()))).ToList();
        using var patched = model.RunWithHooks(ids, hooks);
        TensorAssert.Close(cache.Logits!, patched, 0, "self-patched logits");
        Assert.Equal(0, model.Hooks.Count);
    }

    [FixtureFact]
    public void Zero_ablating_a_head_changes_the_output_and_only_that_heads_result()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        var ids = Ids(model);
        using var clean = model.RunWithCache(ids, HookFilter.Site(Site.Z));
        HookFn ablateHead0 = (z, _) => { var c = z.clone(); c[.., .., 0] = 0; return c; };
        using var ablated = model.RunWithCache(ids, HookFilter.Site(Site.Z), hooks: [(HookName.Z(1), ablateHead0)]);
        Assert.True(ablated[HookName.Z(1)][.., .., 0].abs().max().item<float>() == 0f);
        TensorAssert.Close(clean[HookName.Z(1)][.., .., 1..], ablated[HookName.Z(1)][.., .., 1..], 0, "other heads");
        Assert.True((clean.Logits! - ablated.Logits!).abs().max().item<float>() > 1e-3);
    }

    [FixtureFact]
    public void Hooks_are_removed_even_when_the_forward_throws()
    {
        using var model = ModelLoader.Load(Fixtures.Model("tiny-llama-tied"));
        var ids = Ids(model);
        HookFn boom = (_, _) => throw new InvalidOperationException("boom");
        Assert.Throws<InvalidOperationException>(() => model.RunWithHooks(ids, [(HookName.ResidPre(1), boom)]));
        Assert.Equal(0, model.Hooks.Count);
        Assert.Throws<InvalidOperationException>(() => model.RunWithCache(ids, hooks: [(HookName.ResidPre(1), boom)]));
        Assert.Equal(0, model.Hooks.Count);
        using (model.Hooks.Add(HookName.ResidPre(0), (a, _) => null)) Assert.Equal(1, model.Hooks.Count);
        Assert.Equal(0, model.Hooks.Count);
    }

    [FixtureFact]
    public void A_hook_returning_the_wrong_shape_is_a_clear_error()
    {
        using var model = ModelLoader.Load(Fixtures.Model("tiny-llama-tied"));
        var e = Assert.Throws<InvalidOperationException>(() =>
            model.RunWithHooks(Ids(model), [(HookName.ResidPre(0), (a, _) => a[.., 1..])]));
        Assert.Contains("blocks.0.hook_resid_pre", e.Message);
        Assert.Contains("expected", e.Message);
    }

    [FixtureFact]
    public void Unknown_hook_names_list_the_nearest_valid_names()
    {
        using var model = ModelLoader.Load(Fixtures.Model("tiny-llama-tied"));
        var e = Assert.Throws<UnknownHookException>(() => model.Hooks.Add("blocks.1.attn.hook_patern", (a, _) => null));
        Assert.Contains("blocks.1.attn.hook_pattern", e.Message);
        Assert.Throws<UnknownHookException>(() => model.Hooks.Add(HookName.ResidPre(7), (a, _) => null));
    }

    [Fact]
    public void Hook_names_round_trip_through_their_string_form()
    {
        Assert.Equal("blocks.3.attn.hook_pattern", HookName.Pattern(3).ToString());
        Assert.Equal(HookName.Pattern(3), HookName.Parse("blocks.3.attn.hook_pattern"));
        Assert.Equal(HookName.LnFinalNormalized, HookName.Parse("ln_final.hook_normalized"));
        Assert.Throws<FormatException>(() => HookName.Parse("blocks.x.hook_resid_pre"));
        Assert.True(HookFilter.Glob("blocks.*.hook_resid_post").Matches(HookName.ResidPost(12)));
        Assert.False(HookFilter.Glob("blocks.*.hook_resid_post").Matches(HookName.ResidPre(12)));
    }

    [FixtureFact]
    public void Catalog_lists_every_fired_hook_with_sizes()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        var names = model.HookCatalog.Select(h => h.Name.ToString()).ToList();
        Assert.Contains("hook_embed", names);
        Assert.Contains("blocks.1.attn.hook_result", names);
        Assert.Equal("[batch, pos, head=4, d_model=64]", model.HookCatalog.Single(h => h.Name == HookName.Result(1)).Shape);
        Assert.Equal(names.Count, names.Distinct().Count());
    }
}
