// Path patching against an independent computation: with the MLPs removed, a sender's path to a receiver's query is the
// receiver's q recomputed by hand from the target's residual plus the sender's change of output.
using SharpLens.Analysis;
using SharpLens.Architectures.Llama;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Analysis;

public class PathPatchingTests
{
    [FixtureFact]
    public void Without_MLPs_a_path_into_a_query_is_the_query_of_the_residual_plus_the_senders_change()
    {
        using var model = (LlamaForCausalLM)ModelLoader.Load(Fixtures.Model("llama-gqa"));
        using var scope = NewDisposeScope();
        using (no_grad()) foreach (var b in model.model.Blocks) b.mlp.down_proj.weight.zero_();   // resid_pre(l) = embed + Σ attn_out
        var clean = LogitLensTests.Ids(model.Info.DVocab, 1, 6, seed: 11);
        var corrupted = clean.clone();
        corrupted[0, 2] = clean[0, 2] + 1;
        var metric = Patching.LogitDiff(5, 7);
        int lr = model.Info.NLayers - 1, hr = 1, dh = model.Info.DHead;
        var result = PathPatching.Run(model, clean, corrupted, lr, hr, Site.Q, metric, PatchMode.Noising, sendersPerPass: 3);
        Assert.Equal(metric(model.Run(clean)), result.Clean, 6);
        Assert.All(result.Values[lr], v => Assert.True(double.IsNaN(v)));

        using var cCache = model.RunWithCache(clean, HookFilter.Names([HookName.ResidPre(lr), .. Enumerable.Range(0, lr).Select(HookName.Result)]));
        using var xCache = model.RunWithCache(corrupted, HookFilter.Names(Enumerable.Range(0, lr).Select(HookName.Result).ToArray()));
        var block = model.model.Blocks.ElementAt(lr);
        double eps = model.Config.RmsNormEps;
        for (int l = 0; l < lr; l++)
            for (int h = 0; h < model.Info.NHeads; h++)
            {
                // the residual the receiver would read: clean, plus the sender's corrupted − clean output (float64, by hand)
                var x = (cCache[HookName.ResidPre(lr)] + xCache[HookName.Result(l)].select(2, h) - cCache[HookName.Result(l)].select(2, h)).to(ScalarType.Float64);
                var normed = x * (x.pow(2).mean([-1], keepdim: true) + eps).rsqrt() * block.input_layernorm.weight.to(ScalarType.Float64);
                var q = normed.matmul(block.self_attn.q_proj.weight.narrow(0, hr * dh, dh).to(ScalarType.Float64).t());   // [1, pos, d_head]
                HookFn setQ = (act, _) => { var c = act.clone(); c.select(2, hr).copy_(q); return c; };
                double expected = metric(model.RunWithHooks(clean, [(HookName.Of(Site.Q, lr), setQ)]));
                Assert.True(Math.Abs(expected - result.Values[l][h]) < 1e-4, $"sender L{l}H{h}: path patching {result.Values[l][h]} vs by hand {expected}");
            }
        Assert.Contains(result.Values.Take(lr).SelectMany(v => v), v => Math.Abs(v - result.Clean) > 1e-5);      // some path matters
        Assert.Equal(0, model.Hooks.Count);
    }

    [FixtureFact]
    public void Identical_prompts_change_nothing_and_bad_receivers_are_refused()
    {
        using var model = ModelLoader.Load(Fixtures.Model("gpt2"));
        var ids = LogitLensTests.Ids(model.Info.DVocab, 1, 5);
        var metric = Patching.LogitDiff(5, 7);
        foreach (var site in new[] { Site.K, Site.V })
        {
            var r = PathPatching.Run(model, ids, ids, 1, 0, site, metric, PatchMode.Denoising);
            Assert.All(r.Values[0], v => Assert.Equal(r.Clean, v, 5));
        }
        Assert.Throws<ArgumentException>(() => PathPatching.Run(model, ids, ids, 0, 0, Site.Q, metric));
        Assert.Throws<ArgumentException>(() => PathPatching.Run(model, ids, ids, 1, 0, Site.Z, metric));
    }
}
