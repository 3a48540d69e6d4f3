// Every --arch trains a few steps, saves an HF folder that reloads strictly and verifies; clm archs share the stream.
using SharpLens.Analysis;
using SharpLens.Loading;
using SharpLens.Training;

namespace SharpLens.Tests.Training;

public class ArchitectureTrainingTests
{
    public static TheoryData<string, Objective> Archs => new()
    {
        { "llama", Objective.Clm }, { "gpt2", Objective.Clm }, { "mamba", Objective.Clm },
        { "roberta-rope", Objective.Mlm }, { "bigs", Objective.Mlm },
    };

    [Theory]
    [MemberData(nameof(Archs))]
    public void Trains_saves_reloads_and_verifies(string arch, Objective objective)
    {
        using var run = new TinyRun(files: 4);
        var o = TinyRun.Options(3) with { Arch = arch, Objective = objective, DState = 8 };
        var result = Trainer.Run(o, run.Tokenizer, run.Cache, run.Out(arch), resume: false);
        Assert.True(double.IsFinite(result.FinalLoss));
        using var model = ModelLoader.Load(run.Out(arch));
        var check = ReferenceCheck.Run(model, Path.Combine(run.Out(arch), "reference.safetensors"), atol: 1e-6);
        Assert.True(check.Ok, string.Join("; ", check.Tensors.Select(t => $"{t.Name} {t.MaxAbsDiff} {t.Problem}")));
        Assert.True(check.Tensors.Count >= 2);
    }

    [Fact]
    public void A_bf16_export_stores_bf16_weights_and_its_reference_verifies_exactly()
    {
        using var run = new TinyRun(files: 4);
        Trainer.Run(TinyRun.Options(3), run.Tokenizer, run.Cache, run.Out("f32"), resume: false);
        Trainer.Run(TinyRun.Options(3) with { ExportBf16 = true }, run.Tokenizer, run.Cache, run.Out("bf16"), resume: false);
        long Size(string d) => new FileInfo(Path.Combine(run.Out(d), "model.safetensors")).Length;
        Assert.InRange(Size("bf16"), Size("f32") / 2 - 4096, Size("f32") / 2 + 4096);   // half, up to the header
        using var model = ModelLoader.Load(run.Out("bf16"));
        var check = ReferenceCheck.Run(model, Path.Combine(run.Out("bf16"), "reference.safetensors"), atol: 1e-6);
        Assert.True(check.Ok, string.Join("; ", check.Tensors.Select(t => $"{t.Name} {t.MaxAbsDiff} {t.Problem}")));
        using var f32 = ModelLoader.Load(run.Out("f32"));
        var bf = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in f32.named_parameters())                 // the same run, rounded: |Δ| ≤ 2^-8 relative
            Assert.True(p.sub(bf[name]).abs().le(p.abs().mul(1.0 / 256).add(1e-30)).all().item<bool>(), $"{name} is not the bf16 rounding of the fp32 export");
    }

    [Theory]
    [InlineData("sum")]
    [InlineData("gate")]
    public void CodeSSM_HF_trains_with_its_short_convolution_and_verifies(string merge)
    {
        using var run = new TinyRun(files: 4);
        var o = TinyRun.Options(3) with { Arch = "bigs", Objective = Objective.Mlm, DState = 8, ConvKernel = 3, ConvMerge = merge };
        Trainer.Run(o, run.Tokenizer, run.Cache, run.Out("hf"), resume: false);
        using var model = ModelLoader.Load(run.Out("hf"));
        Assert.Contains(model.named_parameters(), p => p.name.Contains("fconv.conv.weight"));
        Assert.Equal(merge == "gate", model.named_parameters().Any(p => p.name.Contains("fconv.gate")));
        var check = ReferenceCheck.Run(model, Path.Combine(run.Out("hf"), "reference.safetensors"), atol: 1e-6);
        Assert.True(check.Ok, string.Join("; ", check.Tensors.Select(t => $"{t.Name} {t.MaxAbsDiff} {t.Problem}")));
        var e = Assert.Throws<ArgumentException>(() => Trainer.Run(TinyRun.Options(1) with { ConvKernel = 3 }, run.Tokenizer, run.Cache, run.Out("x"), false));
        Assert.Contains("--conv-kernel needs --arch bigs", e.Message);
    }

    [Fact]
    public void Wrong_objective_or_unknown_arch_is_refused()
    {
        using var run = new TinyRun(files: 2);
        var e = Assert.Throws<ArgumentException>(() => Trainer.Run(TinyRun.Options(1) with { Objective = Objective.Mlm }, run.Tokenizer, run.Cache, run.Out("x"), false));
        Assert.Contains("--objective clm", e.Message);
        Assert.Throws<ArgumentException>(() => ModelFactory.RequireAvailable("transformer-xl"));
    }

    [Fact]
    public void Llama_and_mamba_see_the_same_batches()
    {
        using var run = new TinyRun(files: 4);
        var seen = new Dictionary<string, List<long[]>>();
        foreach (var arch in new[] { "llama", "mamba" })
        {
            var list = seen[arch] = new();
            Trainer.Run(TinyRun.Options(3) with { Arch = arch, DState = 8 }, run.Tokenizer, run.Cache, run.Out(arch), false,
                onBatch: (_, b) => list.Add(b.InputIds.Concat(b.Labels).ToArray()));
        }
        Assert.Equal(seen["llama"], seen["mamba"]);
    }
}
