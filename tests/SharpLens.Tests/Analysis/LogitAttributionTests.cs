// Direct logit attribution: the exact-sum identity on every Transformer family, and components against float64 arithmetic.
using SharpLens.Analysis;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Analysis;

public class LogitAttributionTests
{
    [FixtureTheory]
    [InlineData("llama-gqa")]
    [InlineData("tiny-llama-tied")]
    [InlineData("gpt2")]                 // LayerNorm bias and c_proj bias terms
    [InlineData("gpt-bigcode")]          // multi-query attention
    public void Components_sum_to_the_logit_difference_and_match_float64_projections(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        using var scope = NewDisposeScope();
        var ids = LogitLensTests.Ids(model.Info.DVocab, 2, 6);
        var hooks = LogitAttribution.Hooks(model).Append(HookName.ResidPost(model.Info.NLayers - 1)).ToArray();
        using var cache = model.RunWithCache(ids, HookFilter.Names(hooks));
        long[] answer = [5, 9], foil = [7, 4];
        foreach (int pos in new[] { 2, -1 })
        {
            var dla = LogitAttribution.Run(cache, model.Readout!, model.Info.NLayers, pos, answer, foil);
            int p = pos < 0 ? 6 + pos : pos;
            for (int b = 0; b < 2; b++)
            {
                var d = dla[b];
                double actual = (cache.Logits![b, p, answer[b]] - cache.Logits[b, p, foil[b]]).item<float>();
                Assert.True(Math.Abs(d.Actual - actual) < 1e-5);
                Assert.True(d.Error < 1e-4, $"{fixture} row {b} pos {pos}: Σ components {d.Sum} vs logit diff {d.Actual}");
                var dir = IndependentReadout.WU(model)[answer[b]] - IndependentReadout.WU(model)[foil[b]];
                var final = cache[HookName.ResidPost(model.Info.NLayers - 1)][b, p];
                for (int l = 0; l < model.Info.NLayers; l++)
                {
                    Assert.True(Math.Abs(d.Heads[l].Sum() + d.AttnBias[l] - d.Attn[l]) < 1e-4, $"layer {l}: Σ heads + bias ≠ attention");
                    double mlp = (IndependentReadout.LinearPart(model, cache[HookName.MlpOut(l)][b, p], final) * dir).sum().item<double>();
                    Assert.True(Math.Abs(mlp - d.Mlp[l]) < 1e-4, $"{fixture} layer {l} MLP term {d.Mlp[l]} vs float64 {mlp}");
                }
            }
        }
    }

    [FixtureFact]
    public void Without_a_foil_the_answer_logit_itself_is_attributed()
    {
        using var model = ModelLoader.Load(Fixtures.Model("gpt2"));
        var ids = LogitLensTests.Ids(model.Info.DVocab, 1, 5);
        using var cache = model.RunWithCache(ids, HookFilter.Names(LogitAttribution.Hooks(model).ToArray()));
        var d = LogitAttribution.Run(cache, model.Readout!, model.Info.NLayers, -1, [11], null)[0];
        Assert.True(Math.Abs(d.Actual - cache.Logits![0, 4, 11].item<float>()) < 1e-5);
        Assert.True(d.Error < 1e-4, $"Σ {d.Sum} vs logit {d.Actual}");
        Assert.NotEqual(0, d.NormBias);                                                       // GPT-2's ln_f bias contributes
    }

    [FixtureFact]
    public void A_model_without_heads_is_refused_up_front()
    {
        using var model = ModelLoader.Load(Fixtures.Model("mamba"));
        var e = Assert.Throws<NotSupportedException>(() => LogitAttribution.Hooks(model));
        Assert.Contains("hook_result", e.Message);
    }
}
