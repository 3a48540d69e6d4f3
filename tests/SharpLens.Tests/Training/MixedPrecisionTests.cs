// bf16 mixed precision: products in bf16 over fp32 master weights; the rest of the arithmetic and all state stay fp32.
using SharpLens.Nn;
using SharpLens.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Tests.Training;

public class MixedPrecisionTests
{
    [Fact]
    public void Products_round_operands_to_bf16_and_return_fp32()
    {
        var gen = new Generator(5);
        using var x = randn([3, 8], generator: gen);
        using var w = randn([4, 8], generator: gen);
        using var exact = nn.functional.linear(x, w);
        using var rounded = nn.functional.linear(x.to(ScalarType.BFloat16).to(ScalarType.Float32), w.to(ScalarType.BFloat16).to(ScalarType.Float32));
        Tensor y;
        using (Precision.Use(ScalarType.BFloat16)) y = Precision.Linear(x, w);
        Assert.Equal(ScalarType.Float32, y.dtype);
        // bf16 operands, fp32 accumulation: equal to the fp32 product of the rounded operands up to the output rounding
        Assert.True(y.allclose(rounded, rtol: 1e-2, atol: 1e-2), "bf16 product far from the product of rounded operands");
        Assert.False(y.eq(exact).all().item<bool>(), "the product did not run in bf16");
        Assert.True(Precision.Linear(x, w).eq(exact).all().item<bool>(), "outside the scope products must be exact fp32");
        Assert.Null(Precision.Matmul);
    }

    [Fact]
    public void Gradients_reach_fp32_master_weights_in_fp32()
    {
        using var w = randn([4, 8], generator: new Generator(1)).requires_grad_(true);
        using var x = randn([3, 8], generator: new Generator(2));
        using (Precision.Use(ScalarType.BFloat16)) Precision.Linear(x, w).sum().backward();
        Assert.Equal(ScalarType.Float32, w.grad!.dtype);
        using var expected = x.sum([0L]).unsqueeze(0).repeat(4, 1);                // d(Σ x wᵀ)/dw = Σ_rows x, the same for every output row
        Assert.True(w.grad.allclose(expected, rtol: 2e-2, atol: 5e-2));
    }

    [Fact]
    public void A_bf16_run_tracks_the_fp32_run_and_keeps_fp32_state()
    {
        using var run = new TinyRun();
        var o = TinyRun.Options(40);
        var fp32 = Trainer.Run(o with { Precision = TrainPrecision.Fp32 }, run.Tokenizer, run.Cache, run.Out("fp32"), resume: false);
        var bf16 = Trainer.Run(o with { Precision = TrainPrecision.Bf16 }, run.Tokenizer, run.Cache, run.Out("bf16"), resume: false);
        Assert.True(Math.Abs(bf16.FinalLoss - fp32.FinalLoss) / fp32.FinalLoss < 0.02, $"bf16 loss {bf16.FinalLoss} vs fp32 {fp32.FinalLoss}");
        Assert.NotEqual(fp32.FinalLoss, bf16.FinalLoss);               // the products really ran in bf16
        using var ckpt = SharpLens.Loading.SafeTensorsFile.Open(Trainer.CheckpointPath(run.Out("bf16")));
        foreach (var k in ckpt.Keys.Where(k => k.StartsWith("model.") || k.StartsWith("adam_")))
            Assert.Equal("F32", ckpt.DTypeOf(k));                          // master weights and optimiser state in fp32
        Assert.Contains("\"precision\": \"bf16\"", File.ReadAllText(Path.Combine(run.Out("bf16"), RunMetadata.FileName)));
    }

    [Fact]
    public void Resuming_under_another_precision_is_refused_naming_the_key()
    {
        using var run = new TinyRun();
        var o = TinyRun.Options(3) with { Precision = TrainPrecision.Bf16 };
        Trainer.Run(o, run.Tokenizer, run.Cache, run.Out("a"), resume: false);
        var e = Assert.Throws<CheckpointMismatchException>(() =>
            Trainer.Run(o with { Precision = TrainPrecision.Fp32 }, run.Tokenizer, run.Cache, run.Out("a"), resume: true));
        Assert.Contains("precision: checkpoint \"bf16\", this run \"fp32\"", e.Message);
        var mix = Assert.Throws<CheckpointMismatchException>(() =>
            Trainer.Run(o with { Procedural = [new ProceduralMix("dyck", 0.1)] }, run.Tokenizer, run.Cache, run.Out("a"), resume: true));
        Assert.Contains("procedural: checkpoint \"\", this run \"dyck:0.1\"", mix.Message);
    }
}
