// Stopping a pass at a hook (RunTo / RunWithCache(stopAt:)), the shapes the catalog declares, and how long tensors live.
using System.Text.RegularExpressions;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Core;

public class StopAndLifetimeTests
{
    static Tensor Ids(HookedModel m) => SafeTensorsFile.Open(Path.Combine(m.SourceDirectory!, "reference.safetensors")).Load("input_ids").clone();

    static readonly HashSet<string> BeforeBlocks = ["hook_embed", "hook_pos_embed", "hook_token_type_embed"];

    [FixtureTheory]
    [InlineData("llama-gqa")]
    [InlineData("gpt2")]
    [InlineData("gpt-bigcode")]
    [InlineData("roberta")]
    [InlineData("mamba")]
    [InlineData("bigs")]
    public void Stopping_at_a_hook_returns_its_activation_and_runs_nothing_after_its_block(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        using var ids = Ids(model);
        using var full = model.RunWithCache(ids);
        var stop = HookName.ResidMid(0);
        if (!model.HookCatalog.Any(h => h.Name == stop)) stop = HookName.ResidPre(0);     // SSMs have no resid_mid

        // When every hook records whether it fired and the pass stops inside block 0
        var fired = new List<string>();
        var spies = model.HookCatalog.Select(h => (h.Name, (HookFn)((_, n) => { fired.Add(n.ToString()); return null; })));
        Tensor stopped;
        using (model.Hooks.AddAll(spies)) stopped = model.RunTo(stop, ids);
        using (stopped)
        {
            // Then the result is the full pass's activation, block 0 ran to its end and nothing after it ran
            TensorAssert.Close(full[stop], stopped, 0, $"{fixture} {stop}");
            var expected = model.HookCatalog.Select(h => h.Name).Where(n => n.Layer is int l ? l == 0 : BeforeBlocks.Contains(n.ToString()))
                .Select(n => n.ToString()).Order(StringComparer.Ordinal);
            Assert.Equal(expected, fired.Distinct().Order(StringComparer.Ordinal));
        }
        Assert.Equal(0, model.Hooks.Count);

        // And a cached run that stops there records the same activations and no logits
        using var partial = model.RunWithCache(ids, stopAt: HookName.ResidPost(0));
        Assert.Null(partial.Logits);
        Assert.DoesNotContain(partial.Names, n => n.StartsWith("blocks.1.", StringComparison.Ordinal) || n.StartsWith("ln_final", StringComparison.Ordinal));
        TensorAssert.Close(full[HookName.ResidPost(0)], partial[HookName.ResidPost(0)], 0, $"{fixture} cached resid_post 0");
    }

    [FixtureFact]
    public void Stopping_at_an_unknown_hook_is_refused_and_leaves_no_hook_behind()
    {
        using var model = ModelLoader.Load(Fixtures.Model("tiny-llama-tied"));
        using var ids = Ids(model);
        var e = Assert.Throws<UnknownHookException>(() => model.RunTo(HookName.Parse("blocks.0.attn.hook_patern"), ids));
        Assert.Contains("did you mean blocks.0.attn.hook_pattern", e.Message);
        Assert.Equal(0, model.Hooks.Count);
        using var after = model.Run(ids);                                                  // no stop left armed
        Assert.Equal(model.Info.DVocab, after.shape[2]);
    }

    [FixtureTheory]
    [InlineData("llama-gqa")]
    [InlineData("gpt2")]
    [InlineData("gpt-bigcode")]
    [InlineData("roberta")]
    [InlineData("mamba")]
    [InlineData("bigs")]
    public void Every_catalog_shape_matches_the_tensor_its_hook_fires(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        using var ids = Ids(model);
        using var cache = model.RunWithCache(ids);
        foreach (var info in model.HookCatalog)
        {
            // "[batch, pos, head=4, d_head=16] (reversed time)": one entry per dim; name=size where the config fixes it
            var dims = Regex.Match(info.Shape, @"^\[([^\]]*)\]").Groups[1].Value.Split(',', StringSplitOptions.TrimEntries);
            var t = cache[info.Name];
            Assert.True(dims.Length == t.dim(), $"{fixture} {info}: {dims.Length} dims declared, tensor has shape [{string.Join(",", t.shape)}]");
            for (int d = 0; d < dims.Length; d++)
            {
                long? size = dims[d] switch
                {
                    "batch" => ids.shape[0],
                    "pos" or "query_pos" or "key_pos" => ids.shape[1],
                    var s when s.Contains('=') => long.Parse(s[(s.IndexOf('=') + 1)..]),
                    var s when long.TryParse(s, out var n) => n,
                    _ => null,                                                               // a symbol the config does not fix (e.g. 2·d_inner)
                };
                if (size is long expected) Assert.True(expected == t.shape[d], $"{fixture} {info}: dim {d} is {t.shape[d]}");
            }
        }
    }

    [FixtureFact]
    public void A_cache_stays_readable_after_the_scope_it_was_recorded_in_ends()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        using var ids = Ids(model);
        var name = HookName.ResidPost(1);
        using var reference = model.RunWithCache(ids, HookFilter.Names(name));
        ActivationCache cache;
        using (NewDisposeScope()) cache = model.RunWithCache(ids, HookFilter.Names(name));
        using (cache)
        {
            TensorAssert.Close(reference[name], cache[name], 0, "after the caller's scope");
            TensorAssert.Close(reference.Logits!, cache.Logits!, 0, "logits after the caller's scope");
        }
    }

    [FixtureFact]
    public void An_activation_kept_by_a_hook_outlives_the_pass_and_the_handle_it_came_from()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        using var ids = Ids(model);
        var name = HookName.Z(0);
        using var reference = model.RunWithCache(ids, HookFilter.Names(name));
        using var kept = new ActivationCache();
        using (model.Hooks.Add(name, (act, n) => { kept.Add(n, act); return null; }))
            model.Run(ids).Dispose();                                                        // the block's scope freed its handle
        TensorAssert.Close(reference[name], kept[name], 0, "kept through ActivationCache.Add");

        var t = arange(6, dtype: ScalarType.Float32);
        kept.Add("mine", t);
        t.Dispose();                                                                         // the caller's handle, not the cache's
        Assert.Equal(15f, kept["mine"].sum().item<float>());
        Assert.Throws<ObjectDisposedException>(() => kept.Add("freed", t));
    }

    [FixtureFact]
    public void A_cache_refuses_a_tensor_its_user_disposed_and_everything_once_disposed()
    {
        using var model = ModelLoader.Load(Fixtures.Model("tiny-llama-tied"));
        using var ids = Ids(model);
        var name = HookName.ResidPre(0);
        var cache = model.RunWithCache(ids, HookFilter.Names(name));
        cache[name].Dispose();                                                               // a caller's mistake
        var e = Assert.Throws<ObjectDisposedException>(() => cache[name]);
        Assert.Contains("clone", e.Message);
        cache.Logits!.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cache.Logits);
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cache[name]);
        Assert.Null(cache.Logits);
    }
}
