// Identities of the parens analyses: attribution sums to the logit difference, self-patching changes nothing, a planted counting head is found.
using SharpLens.Analysis.Parens;
using SharpLens.Architectures.Llama;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Parens;

public class ParensAnalysisTests
{
    static TokenRole FixtureRole(int id) => (id % 6) switch { 0 => TokenRole.OpenParen, 1 => TokenRole.CloseParen, 2 => TokenRole.Digits, 3 => TokenRole.Str, 4 => TokenRole.Print, _ => TokenRole.Other };

    /// <summary>Prompts of different lengths (so the batch is left-padded) with seeded random ids below <paramref name="vocab"/>.</summary>
    static List<PreparedPrompt> RandomPrompts(int vocab, int count, int depth = 2)
    {
        var rng = new Random(7);
        return Enumerable.Range(0, count).Select(i => ParensTestModels.Prompt($"p{i}", Enumerable.Range(0, 6 + i % 4).Select(_ => rng.Next(3, vocab)).ToArray(),
            rng.Next(3, vocab), rng.Next(3, vocab), depth, 0, FixtureRole)).ToList();
    }

    [FixtureTheory]
    [InlineData("llama-gqa")]
    [InlineData("stories260K")]
    [InlineData("gpt2")]                 // LayerNorm with bias, learned positions, c_proj bias
    [InlineData("gpt-bigcode")]          // multi-query attention
    public void Attribution_components_sum_to_the_final_logit_difference(string fixture)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        using var batch = PromptBatch.Of(RandomPrompts(model.Info.DVocab, 6));
        Assert.NotNull(batch.Mask);                                                          // rows are left-padded
        using var cache = LastPositionCache.Run(model, batch, ParensMeasures.StudyHooks(model));
        var dla = ParensMeasures.Attribution(cache, model.Readout!, model.Info.NLayers, batch);
        foreach (var d in dla)
        {
            Assert.True(Math.Abs(d.Sum - d.Actual) < 1e-4, $"{fixture} {d.Id}: Σ components {d.Sum} vs logit diff {d.Actual}");
            for (int l = 0; l < model.Info.NLayers; l++)
                Assert.True(Math.Abs(d.Heads[l].Sum() + d.AttnBias[l] - d.Attn[l]) < 1e-4, $"layer {l}: Σ heads + bias ≠ attention");
        }
        // the logit lens at the last resid_post reproduces the model's own logit difference
        var lens = ParensMeasures.LogitLens(cache, model.Readout!, model.Info.NLayers, batch).Where(p => p.Site == "resid_post" && p.Layer == model.Info.NLayers - 1);
        foreach (var p in lens) Assert.True(Math.Abs(p.LogitDiff - dla.First(d => d.Id == p.Id).Actual) < 1e-4, $"lens vs logits for {p.Id}");
        // the model's own logit difference matches an unpadded single-prompt run (left padding changes nothing)
        using var one = PromptBatch.Of([batch.Prompts[0]]);
        using var single = LastPositionCache.Run(model, one, []);
        var expected = single.Logits[0, batch.Prompts[0].LabelId].item<float>() - single.Logits[0, batch.Prompts[0].CounterfactualId].item<float>();
        Assert.True(Math.Abs(expected - dla.First(d => d.Id == batch.Prompts[0].Example.Id).Actual) < 1e-4);
    }

    [FixtureFact]
    public void Patching_heads_and_layers_with_their_own_activations_is_a_no_op()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        using var batch = PromptBatch.Of(RandomPrompts(model.Info.DVocab, 5));
        var targets = new[] { AblationTarget.OfHead(1, 2), AblationTarget.Attn(0), AblationTarget.Mlp(1) };
        using var cache = model.RunWithCache(batch.Ids, HookFilter.Names(targets.Select(t => t.Hook).ToArray()), batch.Mask);
        var clean = Ablation.Score(model, batch, []);
        foreach (var t in targets)
        {
            var self = Ablation.Replace(t, _ => t.Kind == "head" ? cache[t.Hook].select(2, t.Head) : cache[t.Hook]);
            using var scope = NewDisposeScope();
            var patched = model.RunWithHooks(batch.Ids, [self], batch.Mask);
            TensorAssert.Close(cache.Logits!, patched, 0, $"self-patched {t}");
            Assert.Equal(clean.Select(c => c.LogitDiff), Ablation.Score(model, batch, [self]).Select(c => c.LogitDiff));
        }
        Assert.Equal(0, model.Hooks.Count);
    }

    [FixtureFact]
    public void Mean_ablation_over_a_one_prompt_dataset_is_a_no_op_and_zero_ablation_is_not()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        using var batch = PromptBatch.Of(RandomPrompts(model.Info.DVocab, 1));
        var names = Enumerable.Range(0, model.Info.NLayers).SelectMany(l => new[] { HookName.Z(l), HookName.AttnOut(l), HookName.MlpOut(l) }).ToList();
        using var means = new MeanActivations();
        using (var cache = model.RunWithCache(batch.Ids, HookFilter.Names(names.ToArray()), batch.Mask)) means.Add(cache, batch, names);
        var clean = Ablation.Score(model, batch, [])[0].LogitDiff;
        foreach (var t in Ablation.AllTargets(model.Info.NLayers, model.Info.NHeads))
        {
            Assert.True(Math.Abs(Ablation.Score(model, batch, [Ablation.Mean(t, means, batch)])[0].LogitDiff - clean) < 1e-5, $"mean-ablating {t} over itself");
        }
        Assert.True(Math.Abs(Ablation.Score(model, batch, [Ablation.Zero(AblationTarget.Mlp(1))])[0].LogitDiff - clean) > 1e-4);
    }

    // Token ids of the planted model: 0 BOS, 1 print, 2 "(", 3 str, 4 digit, 5..8 = ")" "))" ")))" "))))".
    static TokenRole ToyRole(int id) => id switch { 0 => TokenRole.Other, 1 => TokenRole.Print, 2 => TokenRole.OpenParen, 3 => TokenRole.Str, 4 => TokenRole.Digits, _ => TokenRole.CloseParen };

    /// <summary>
    /// One layer, two heads. Head 0 is planted: its query (from the final ")") matches keys of BOS and ")" equally and
    /// nothing else, so its attention mass on ")" is c/(c+1); values write e9 for ")" and e10 for BOS, and the paren
    /// tokens' unembedding rows are set so that logit_j = 2·m·m_j − m_j² with m_j = j/(j+1): the best of the four is the
    /// token for c, the number already closed. Head 1 keeps random weights and writes to other dimensions.
    /// </summary>
    static LlamaForCausalLM PlantedCountingModel()
    {
        var m = ParensTestModels.Build(ParensTestModels.Config(vocab: 16, d: 16, layers: 1, heads: 2, dHead: 4, mlp: 4, ropeTheta: 1e8));
        var block = m.model.Blocks.First();
        var a = block.self_attn;
        void Set(Tensor w, Action<float[], int> edit)
        {
            var buf = w.data<float>().ToArray();
            edit(buf, (int)w.shape[^1]);
            using (no_grad()) w.copy_(tensor(buf).reshape(w.shape));
        }
        Set(m.model.embed_tokens.weight, (w, n) => { Array.Clear(w); for (int t = 0; t < 16; t++) w[t * n + t] = 4; });
        Set(a.q_proj.weight, (w, n) => { Array.Clear(w, 0, 4 * n); w[1 * n + 5] = 1; });                 // head 0 rows 0..3
        Set(a.k_proj.weight, (w, n) => { Array.Clear(w, 0, 4 * n); for (int t = 1; t < 16; t++) w[1 * n + t] = -5; w[1 * n + 0] = 1; w[1 * n + 5] = 1; });
        Set(a.v_proj.weight, (w, n) => { Array.Clear(w, 0, 4 * n); w[0 * n + 5] = 0.25f; w[2 * n + 0] = 0.25f; });
        Set(a.o_proj.weight, (w, n) =>
        {
            for (int r = 0; r < 16; r++) for (int c = 0; c < 8; c++) if (c < 4 || r <= 10) w[r * n + c] = 0;
            w[9 * n + 0] = 1; w[10 * n + 2] = 1;
        });
        Set(block.mlp.down_proj.weight, (w, _) => Array.Clear(w));
        Set(m.lm_head!.weight, (w, n) =>
        {
            Array.Clear(w);
            for (int j = 1; j <= 4; j++) { double mj = j / (j + 1.0); w[(4 + j) * n + 9] = (float)(10 * (2 * mj - mj * mj)); w[(4 + j) * n + 10] = (float)(-10 * mj * mj); }
        });
        return m;
    }

    [Fact]
    public void A_planted_counting_head_is_ranked_first_and_labelled_as_promoting_the_closed_count()
    {
        using var model = PlantedCountingModel();
        var prompts = new List<PreparedPrompt>();
        foreach (var c in new[] { 1, 2, 3 })
            foreach (var d in new[] { 1, 2, 3, 4 }.Where(d => d != c))
                foreach (var digits in new[] { 2, 3 })
                {
                    int k = d + c - 1;
                    var ids = new List<int> { 0, 1, 2 };
                    for (int i = 0; i < k; i++) { ids.Add(3); ids.Add(2); }
                    ids.AddRange(Enumerable.Repeat(4, digits)); ids.AddRange(Enumerable.Repeat(5, c));
                    prompts.Add(ParensTestModels.Prompt($"c{c}-d{d}-n{digits}", ids.ToArray(), 4 + d, 5 + d, d, c, ToyRole));
                }
        var rows = new List<HeadParenPrompt>();
        foreach (var chunk in PromptBatch.Chunks(prompts, 5))
        {
            using var batch = PromptBatch.Of(chunk);
            using var cache = LastPositionCache.Run(model, batch, [HookName.LnFinalScale, HookName.Result(0), HookName.Pattern(0)]);
            rows.AddRange(ParensMeasures.HeadParens(cache, model.Readout, 1, batch, [5, 6, 7, 8]));
        }
        var ranked = ParensSummaries.CountingHeads(rows, [1, 2, 3, 4]);
        var top = ranked[0];
        Assert.Equal((0, 0), (top.Layer, top.Head));
        Assert.Equal(1.0, top.ClosedRate);
        Assert.Equal(0.0, top.CorrectRate);
        Assert.True(top.CorrAttnClosed > 0.9, $"corr(attention to ')', c) = {top.CorrAttnClosed}");
        Assert.StartsWith("misleads", top.Verdict);
        Assert.True(ranked[1].Score < top.Score);
    }
}

public class ParensUnsupportedModelTests
{
    [FixtureFact]
    public void A_model_without_attention_heads_is_refused_up_front()
    {
        using var model = ModelLoader.Load(Fixtures.Model("mamba"));
        var e = Assert.Throws<NotSupportedException>(() => ParensMeasures.StudyHooks(model));
        Assert.Contains("hook_result", e.Message);
    }
}
