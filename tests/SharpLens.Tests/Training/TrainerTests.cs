// Trainer behaviour: loss goes down, resume is bit-exact, output reloads strictly and verifies, bad checkpoints are refused.
using SharpLens.Analysis;
using SharpLens.Loading;
using SharpLens.Training;
using TorchSharp;

namespace SharpLens.Tests.Training;

public class TrainerTests
{
    [Fact]
    public void Loss_decreases_on_a_tiny_run()
    {
        using var run = new TinyRun();
        var result = Trainer.Run(TinyRun.Options(40), run.Tokenizer, run.Cache, run.Out("a"), resume: false);
        var rows = File.ReadAllLines(Path.Combine(run.Out("a"), "train_log.csv"));
        Assert.Equal(TrainLog.Header, rows[0]);
        Assert.Equal(41, rows.Length);
        double first = double.Parse(rows[1].Split(',')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(result.FinalLoss < first - 1.0, $"loss went from {first} to {result.FinalLoss}");
        Assert.True(File.Exists(Path.Combine(run.Out("a"), "loss.png")));
    }

    [Fact]
    public void Saved_folder_reloads_strictly_and_passes_the_reference_check()
    {
        using var run = new TinyRun();
        Trainer.Run(TinyRun.Options(4), run.Tokenizer, run.Cache, run.Out("a"), resume: false);
        var dir = run.Out("a");
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "reference.safetensors" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        using var model = ModelLoader.Load(dir);
        Assert.True(model.LoadReport!.IsComplete);
        var check = ReferenceCheck.Run(model, Path.Combine(dir, "reference.safetensors"), atol: 1e-6);
        Assert.True(check.Ok, string.Join("; ", check.Tensors.Select(t => $"{t.Name} {t.MaxAbsDiff} {t.Problem}")));
        Assert.Contains(check.Tensors, t => t.Name == "logits");
        Assert.True(check.Tensors.Count >= 4);
        using var file = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        Assert.DoesNotContain("lm_head.weight", file.Keys);                  // tied: not stored
        Assert.Contains("model.embed_tokens.weight", file.Keys);
    }

    [Theory]
    [InlineData(TrainPrecision.Fp32)]
    [InlineData(TrainPrecision.Bf16)]
    public void Resume_continues_bit_exactly(TrainPrecision precision)
    {
        using var run = new TinyRun();
        var o = TinyRun.Options(16) with { CheckpointEvery = 5, Precision = precision }; // 16 steps × 128 tokens ≈ 2k tokens
        Trainer.Run(o, run.Tokenizer, run.Cache, run.Out("straight"), resume: false);

        using var stop = new CancellationTokenSource();
        var first = Trainer.Run(o, run.Tokenizer, run.Cache, run.Out("resumed"), resume: false,
            progress: p => { if (p.Step == 8) stop.Cancel(); }, stop: stop.Token);
        Assert.True(first.Stopped);
        Assert.Equal(8, first.Steps);
        Assert.False(File.Exists(Path.Combine(run.Out("resumed"), "model.safetensors")));
        var resumedProgress = new List<TrainProgress>();
        var second = Trainer.Run(o, run.Tokenizer, run.Cache, run.Out("resumed"), resume: true, progress: resumedProgress.Add);
        Assert.Equal(16, second.Steps);
        Assert.All(resumedProgress, p => Assert.Equal(8, p.StartStep));      // the ETA counts this session's steps only

        using var a = SafeTensorsFile.Open(Path.Combine(run.Out("straight"), "model.safetensors"));
        using var b = SafeTensorsFile.Open(Path.Combine(run.Out("resumed"), "model.safetensors"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var k in a.Keys)
            Assert.True(a.Load(k).bytes.SequenceEqual(b.Load(k).bytes) && a.Shape(k).SequenceEqual(b.Shape(k)), $"{k} differs after resume");
        Assert.Equal(File.ReadAllLines(Path.Combine(run.Out("straight"), "train_log.csv")).Select(l => string.Join(',', l.Split(',').Take(4))),
                     File.ReadAllLines(Path.Combine(run.Out("resumed"), "train_log.csv")).Select(l => string.Join(',', l.Split(',').Take(4))));
    }

    [Fact]
    public void Truncated_corrupt_or_foreign_checkpoints_are_refused()
    {
        using var run = new TinyRun();
        var o = TinyRun.Options(3);
        Trainer.Run(o, run.Tokenizer, run.Cache, run.Out("a"), resume: false);
        var ckpt = Trainer.CheckpointPath(run.Out("a"));
        var bytes = File.ReadAllBytes(ckpt);

        var other = Assert.Throws<CheckpointMismatchException>(() =>
            Trainer.Run(o with { DModel = 48, Heads = 2 }, run.Tokenizer, run.Cache, run.Out("a"), resume: true));
        Assert.Contains("another run", other.Message);
        Assert.Contains("model config", other.Message);

        var data = TokenCache.FromTokens(run.Cache.Tokens.Reverse().ToArray(), run.Tokenizer.Hash);
        var otherData = Assert.Throws<CheckpointMismatchException>(() => Trainer.Run(o, run.Tokenizer, data, run.Out("a"), resume: true));
        Assert.Contains("data", otherData.Message);

        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(ckpt, bytes);
        var flipped = Assert.Throws<CheckpointMismatchException>(() => Trainer.Run(o, run.Tokenizer, run.Cache, run.Out("a"), resume: true));
        Assert.Contains("corrupt", flipped.Message);

        File.WriteAllBytes(ckpt, bytes[..(bytes.Length / 2)]);
        var truncated = Assert.Throws<CheckpointMismatchException>(() => Trainer.Run(o, run.Tokenizer, run.Cache, run.Out("a"), resume: true));
        Assert.Contains("truncated", truncated.Message);

        var fresh = Assert.Throws<InvalidOperationException>(() => Trainer.Run(o, run.Tokenizer, run.Cache, run.Out("a"), resume: false));
        Assert.Contains("--resume", fresh.Message);
    }

    [Fact]
    public void Two_architectures_see_the_same_stream()
    {
        using var run = new TinyRun();
        var seen = new List<long[]>[2];
        var sizes = new[] { TinyRun.Options(3), TinyRun.Options(3) with { Layers = 1, DModel = 48, Heads = 4, DMlp = 96 } };
        for (int i = 0; i < 2; i++)
        {
            var list = seen[i] = new();
            Trainer.Run(sizes[i], run.Tokenizer, run.Cache, run.Out("r" + i), resume: false, onBatch: (_, b) => list.Add(b.InputIds));
        }
        Assert.Equal(3, seen[0].Count);
        for (int s = 0; s < 3; s++) Assert.Equal(seen[0][s], seen[1][s]);
        Assert.NotEqual(seen[0][0], seen[0][1]);
    }

    [Fact]
    public void Init_from_continues_from_saved_weights_and_refuses_other_sizes()
    {
        using var run = new TinyRun();
        Trainer.Run(TinyRun.Options(30), run.Tokenizer, run.Cache, run.Out("a"), resume: false);
        var fresh = Trainer.Run(TinyRun.Options(1) with { Seed = 12 }, run.Tokenizer, run.Cache, run.Out("fresh"), resume: false);
        var continued = Trainer.Run(TinyRun.Options(1) with { Seed = 12, InitFrom = run.Out("a") }, run.Tokenizer, run.Cache, run.Out("b"), resume: false);
        Assert.True(continued.FinalLoss < fresh.FinalLoss - 1, $"continued {continued.FinalLoss} vs fresh {fresh.FinalLoss}");
        var e = Assert.Throws<InvalidDataException>(() => Trainer.Run(TinyRun.Options(1) with { DModel = 48, InitFrom = run.Out("a") },
            run.Tokenizer, run.Cache, run.Out("c"), resume: false));
        Assert.Contains("same architecture and sizes", e.Message);
    }
}
