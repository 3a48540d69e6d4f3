// Logit lens against an independent final norm + unembedding written from raw parameters, on every causal family.
using SharpLens.Analysis;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Analysis;

public class LogitLensTests
{
    /// <summary>Seeded random ids [batch, pos] below <paramref name="vocab"/>.</summary>
    internal static Tensor Ids(int vocab, int batch, int pos, ulong seed = 3) =>
        randint(3, Math.Min(vocab, 200), [batch, pos], dtype: ScalarType.Int64, generator: new Generator(seed));

    [FixtureTheory]
    [InlineData("llama-gqa")]
    [InlineData("stories260K")]
    [InlineData("gpt2")]                 // LayerNorm with bias: checked against torch's own layer_norm
    [InlineData("gpt-bigcode")]
    [InlineData("mamba")]                // no resid_mid: the lens reads what the model fires
    public void Lens_matches_an_independent_final_norm_and_unembedding(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        using var scope = NewDisposeScope();
        var ids = Ids(model.Info.DVocab, 2, 7);
        var hooks = LogitLens.Hooks(model);
        Assert.Contains(HookName.ResidPost(model.Info.NLayers - 1), hooks);
        using var cache = model.RunWithCache(ids, HookFilter.Names(hooks.ToArray()));
        int answer = 5, foil = 7;
        var readings = LogitLens.Run(cache, model.Readout!, hooks, [0, 3, -1], answer, foil, topK: 3, row: 1);
        Assert.Equal(hooks.Count * 3, readings.Count);
        foreach (var r in readings)
        {
            var logits = IndependentReadout.Logits(model, cache[r.Hook][1, r.Position]);   // [d_vocab] float64
            var probs = logits.softmax(-1);
            var (topP, topI) = probs.topk(3);
            Assert.Equal(topI.data<long>().ToArray().Select(i => (int)i), r.TopIds);
            for (int j = 0; j < 3; j++) Assert.True(Math.Abs(topP[j].item<double>() - r.TopProbs[j]) < 1e-4, $"{fixture} {r.Hook}@{r.Position} top {j}");
            Assert.True(Math.Abs(probs[answer].item<double>() - r.AnswerProb) < 1e-4, $"{r.Hook}@{r.Position} answer prob");
            // rank: float32 vs float64 may order logits within 1e-4 of the answer's differently
            long lo = logits.gt(logits[answer] + 1e-4).sum().item<long>() + 1, hi = logits.gt(logits[answer] - 1e-4).sum().item<long>() + 1;
            Assert.InRange(r.AnswerRank, lo, hi);
            Assert.True(Math.Abs((logits[answer] - logits[foil]).item<double>() - r.LogitDiff) < 1e-3, $"{r.Hook}@{r.Position} logit diff");
        }
        // at the last resid_post the lens is the model's own prediction
        var last = readings.Where(r => r.Hook == HookName.ResidPost(model.Info.NLayers - 1).ToString());
        foreach (var r in last) Assert.Equal((int)cache.Logits![1, r.Position].argmax().item<long>(), r.TopIds[0]);
    }

    [FixtureFact]
    public void An_encoder_without_a_linear_readout_is_refused_up_front()
    {
        using var model = ModelLoader.Load(Fixtures.Model("roberta"));
        var e = Assert.Throws<NotSupportedException>(() => LogitLens.Hooks(model));
        Assert.Contains("causal", e.Message);
    }
}
