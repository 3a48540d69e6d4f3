// Data stream determinism, MLM masking, the fallback ByteBpe tokenizer, AdamW against TorchSharp's, the paren evaluation.
using SharpLens.Analysis.Parens;
using SharpLens.Loading;
using SharpLens.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Tests.Training;

public class DataAndTokenizerTests
{
    static readonly TrainTokenizer Bytes = new()
    {
        Encode = s => System.Text.Encoding.UTF8.GetBytes(s).Select(b => b + 3).ToArray(), VocabSize = 259, Hash = "bytes",
        EosId = 0, PadId = 1, MaskId = 2, SpecialIds = new HashSet<int> { 0, 1, 2 },
    };

    static TokenCache Cache() => TokenCache.FromTokens(Enumerable.Range(0, 5000).Select(i => i % 97 == 0 ? 0 : 3 + i * 7 % 250).ToArray(), "bytes");

    [Fact]
    public void Mlm_masking_is_deterministic_and_follows_80_10_10()
    {
        var a = new DataStream(Cache(), 64, 8, seed: 5, Objective.Mlm, Bytes);
        var b = new DataStream(Cache(), 64, 8, seed: 5, Objective.Mlm, Bytes);
        var c = new DataStream(Cache(), 64, 8, seed: 6, Objective.Mlm, Bytes);
        var clm = new DataStream(Cache(), 64, 8, seed: 5, Objective.Clm, Bytes);
        int selected = 0, masked = 0, total = 0;
        for (int s = 0; s < 8; s++)
        {
            var (x, y) = (a.BatchAt(s), b.BatchAt(s));
            Assert.Equal(x.InputIds, y.InputIds);
            Assert.Equal(x.Labels, y.Labels);
            Assert.NotEqual(x.Labels, c.BatchAt(s).Labels);
            var original = clm.BatchAt(s).InputIds;
            for (int i = 0; i < x.Labels.Length; i++)
            {
                total++;
                if (x.Labels[i] == DataStream.IgnoreIndex) { Assert.Equal(original[i], x.InputIds[i]); continue; }
                selected++;
                Assert.Equal(original[i], x.Labels[i]);
                Assert.NotEqual(0, x.Labels[i]);                                  // separators are never masked
                if (x.InputIds[i] == 2) masked++;
            }
        }
        Assert.InRange(selected / (double)total, 0.12, 0.18);
        Assert.InRange(masked / (double)selected, 0.74, 0.86);
    }

    [Fact]
    public void Clm_stream_is_a_seeded_permutation_of_windows_with_shifted_labels()
    {
        var s = new DataStream(Cache(), 50, 4, seed: 1, Objective.Clm);
        Assert.Equal(100, s.Sequences);
        var starts = Enumerable.Range(0, 100).Select(g => s.SequenceStart(g)).ToList();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i * 50L), starts.Order());
        Assert.NotEqual(starts, Enumerable.Range(100, 100).Select(g => s.SequenceStart(g)).ToList());   // epoch 2 reshuffles
        var batch = s.BatchAt(3);
        Assert.Equal(batch.InputIds[1], batch.Labels[0]);
        Assert.Equal(DataStream.IgnoreIndex, batch.Labels[49]);
    }

    [Fact]
    public void Trained_tokenizers_keep_paren_runs_and_digits_single_and_round_trip()
    {
        var text = "def f(x):\n    return g(h(k(x)))) + 12345\nprint(str(str(486)))\n";
        var dir = Directory.CreateTempSubdirectory("sharplens-bpe-").FullName;
        try
        {
            new SharpLens.Tokenization.BpeTrainer(new SharpLens.Tokenization.BpeTrainerOptions { VocabSize = 300 }).Train(Enumerable.Repeat(text, 20)).Save(dir);
            var tok = TrainTokenizers.Load(dir);
            foreach (var t in new[] { ")", "))", ")))", "))))", "0", "7" }) Assert.NotNull(tok.TokenToId(t));
            Assert.Equal([tok.TokenToId("))))")!.Value, tok.TokenToId(")")!.Value], tok.Encode(")))))"));
            Assert.Equal("123".Select(ch => tok.TokenToId(ch.ToString())!.Value), tok.Encode("123"));
            Assert.Equal(text, tok.Decode!(tok.Encode(text)));
            Assert.Equal((0, 0, 1, 2), (tok.BosId, tok.EosId, tok.PadId, tok.MaskId));
            Assert.Equal(new HashSet<int> { 0, 1, 2 }, tok.SpecialIds);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AdamW_matches_torch_AdamW_with_decay_only_on_matrices()
    {
        var gen = new torch.Generator(3);                                                  // own generator: the global one is shared by parallel tests
        var w = new TorchSharp.Modules.Parameter(randn(4, 3, generator: gen));
        var bias = new TorchSharp.Modules.Parameter(randn(3, generator: gen));
        var w2 = new TorchSharp.Modules.Parameter(w.detach().clone());
        var bias2 = new TorchSharp.Modules.Parameter(bias.detach().clone());
        using var ours = new AdamW([("w", w), ("b", bias)], weightDecay: 0.1, 0.9, 0.95, 1e-8);
        Assert.Equal(["w"], ours.DecayedNames);
        var theirsW = torch.optim.AdamW([w2], lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1);
        var theirsB = torch.optim.AdamW([bias2], lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.0);
        var x = randn(5, 4, generator: gen);
        for (int step = 0; step < 5; step++)
        {
            ours.ZeroGrad(); theirsW.zero_grad(); theirsB.zero_grad();
            (x.matmul(w) + bias).pow(2).sum().backward();
            (x.matmul(w2) + bias2).pow(2).sum().backward();
            ours.Update(0.01); theirsW.step(); theirsB.step();
        }
        Assert.True(w.allclose(w2, rtol: 1e-5, atol: 1e-6), $"max |Δ| {(w - w2).abs().max().item<float>()}");
        Assert.True(bias.allclose(bias2, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void The_trainers_paren_evaluation_is_the_studys_accuracy_on_its_template()
    {
        using var run = new TinyRun();
        Trainer.Run(TinyRun.Options(2), run.Tokenizer, run.Cache, run.Out("a"), resume: false);
        using var model = ModelLoader.Load(run.Out("a"));
        var tok = SharpLens.Tokenization.Tokenizer.Load(run.TokenizerDir);
        var rows = ParensStudy.Accuracy(model, tok, [1, 2, 3, 4], perDepth: 10);
        Assert.Equal([1, 2, 3, 4, 0], rows.Select(x => x.Depth));
        Assert.All(rows.Take(4), x => { Assert.Equal(10, x.N); Assert.InRange(x.Correct, 0, 10); });
        Assert.Equal(rows.Take(4).Sum(x => x.Correct), rows[4].Correct);
        // scored by greedy argmax at the last prompt token: recount one depth by hand
        var prompts = ParensPrompts.Prepare(tok, ParensData.Load("template", [2], 10, 0));
        int correct = prompts.Count(p =>
        {
            using var logits = model.Run(TorchSharp.torch.tensor(p.Ids.Select(i => (long)i).ToArray()).unsqueeze(0));
            return logits[0, -1].argmax().item<long>() == p.LabelId;
        });
        Assert.Equal(correct, rows[1].Correct);
    }
}
