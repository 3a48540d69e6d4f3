// Checkpoints stored in BF16 and F16 load (converted to the requested dtype) and stay close to the F32 reference.
using SharpLens.Analysis;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Loading;

public class StoredDtypeTests
{
    [FixtureTheory]
    [InlineData(ScalarType.BFloat16, ScalarType.Float32)]
    [InlineData(ScalarType.Float16, ScalarType.Float32)]
    [InlineData(ScalarType.Float16, ScalarType.BFloat16)]
    public void Half_precision_checkpoints_load_and_match_the_reference_loosely(ScalarType stored, ScalarType load)
    {
        using var dir = new TempDir().WithModel("llama-gqa");
        var file = dir.File("model.safetensors");
        List<(string, Tensor)> tensors;
        using (var f = SafeTensorsFile.Open(file)) tensors = f.Keys.Select(k => (k, f.Load(k).to(stored))).ToList();
        SafeTensorsWriter.Write(file, tensors);
        using (var check = SafeTensorsFile.Open(file))
            Assert.All(check.Keys, k => Assert.Equal(SafeTensorsWriter.DTypeName(stored), check.DTypeOf(k)));

        using var model = ModelLoader.Load(dir.Path, new LoadOptions { DType = load });
        Assert.Equal(load, model.DType);
        Assert.Equal(tensors.Count, model.LoadReport!.StoredDTypes[SafeTensorsWriter.DTypeName(stored)]);
        // Rounding the weights to 8 (bf16) or 11 (f16) mantissa bits moves logits of magnitude ~10 by a few 1e-2;
        // 0.5 is a loose bound that still catches a wrong byte interpretation (which gives garbage or NaN).
        var reference = Path.Combine(Fixtures.Model("llama-gqa"), "reference.safetensors");
        var result = ReferenceCheck.Run(model, reference, 0.5);
        Assert.True(result.Ok, string.Join("\n", result.Tensors.Where(t => !t.Ok).Select(t => $"{t.Name}: {t.MaxAbsDiff:g3} {t.Problem}")));
    }
}
