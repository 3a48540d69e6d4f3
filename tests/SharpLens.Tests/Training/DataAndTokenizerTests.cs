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
    public void ByteBpe_keeps_paren_runs_and_digits_single_and_round_trips()
    {
        var text = "def f(x):\n    return g(h(k(x)))) + 12345\nprint(str(str(486)))\n";
        var bpe = ByteBpe.Train(Enumerable.Repeat(text, 20), 300);
        foreach (var t in new[] { ")", "))", ")))", "))))", "0", "7" }) Assert.NotNull(bpe.TokenToId(t));
        Assert.Equal([bpe.TokenToId("))))")!.Value, bpe.TokenToId(")")!.Value], bpe.Encode(")))))"));
        Assert.Equal("123".Select(ch => bpe.TokenToId(ch.ToString())!.Value), bpe.Encode("123"));
        Assert.Equal(text, bpe.Decode(bpe.Encode(text)));
        var dir = Directory.CreateTempSubdirectory("sharplens-bpe-").FullName;
        try
        {
            bpe.Save(dir);
            Assert.Equal(bpe.Encode(text + "é ✓"), ByteBpe.Load(dir).Encode(text + "é ✓"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AdamW_matches_torch_AdamW_with_decay_only_on_matrices()
    {
        torch.random.manual_seed(3);
        var w = new TorchSharp.Modules.Parameter(randn(4, 3));
        var bias = new TorchSharp.Modules.Parameter(randn(3));
        var w2 = new TorchSharp.Modules.Parameter(w.detach().clone());
        var bias2 = new TorchSharp.Modules.Parameter(bias.detach().clone());
        using var ours = new AdamW([("w", w), ("b", bias)], weightDecay: 0.1, 0.9, 0.95, 1e-8);
        Assert.Equal(["w"], ours.DecayedNames);
        var theirsW = torch.optim.AdamW([w2], lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1);
        var theirsB = torch.optim.AdamW([bias2], lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.0);
        var x = randn(5, 4);
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

public class ByteBpeInteropTests
{
    [Fact]
    public void The_HF_tokenizer_loader_reads_ByteBpe_files_with_the_same_ids()
    {
        using var run = new TinyRun(files: 3);
        var hf = SharpLens.Tokenization.Tokenizer.Load(run.TokenizerDir);
        var bpe = ByteBpe.Load(run.TokenizerDir);
        var texts = TokenCache.ListFiles(run.Corpus, "*.py").Select(f => File.ReadAllText(Path.Combine(run.Corpus, f)))
            .Append("print(str(str(486)))))  x = 12345 ) ))\n\tcafé ✓ 𝔘 ½ ٣").ToList();
        var stdlib = "/usr/lib/python3.11";                                    // extra coverage where the machine has it
        if (Directory.Exists(stdlib)) texts.AddRange(TokenCache.ListFiles(stdlib, "*.py").Take(15).Select(f => File.ReadAllText(Path.Combine(stdlib, f))));
        foreach (var t in texts) Assert.Equal(bpe.Encode(t), hf.Encode(t, addSpecialTokens: false).Ids.ToArray());
        Assert.Equal(bpe.VocabSize, hf.VocabSize);
        foreach (var p in new[] { ")", "))", ")))", "))))" }) Assert.Equal(bpe.TokenToId(p), hf.TokenToId(p));
    }
}
