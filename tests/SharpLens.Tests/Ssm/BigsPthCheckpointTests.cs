// A BiGS state dict saved by torch.save (.pth zip) loads through the restricted reader and matches the reference.
using SharpLens.Analysis;
using SharpLens.Loading;
using SharpLens.Tests.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Ssm;

public class BigsPthCheckpointTests
{
    [FixtureTheory]
    [InlineData(null)]            // the authors' checkpoints: a bare state dict with bigs.* keys
    [InlineData("state_dict")]    // wrapped as {"epoch": 3, "state_dict": …}
    public void Bigs_pth_state_dict_loads_and_passes_the_reference(string? wrapper)
    {
        var src = Fixtures.Model("bigs");
        using var dir = new TempDir();
        File.Copy(Path.Combine(src, "config.json"), dir.File("config.json"));
        List<(string, Tensor)> tensors;
        using (var st = SafeTensorsFile.Open(Path.Combine(src, "model.safetensors")))
            tensors = st.Keys.Where(k => st.DTypeOf(k) == "F32")      // the I64 position_ids buffer is recomputed
                .OrderBy(k => k, StringComparer.Ordinal).Select(k => (k, st.Load(k).clone())).ToList();
        Assert.Contains(tensors, t => t.Item1.StartsWith("bigs.encoder.layer.0.fs4.kernel.C"));
        TorchZipWriter.WriteStateDict(dir.File("bigs_model.pth"), tensors, wrapper);

        using var model = ModelLoader.Load(dir.Path);
        Assert.EndsWith("bigs_model.pth", model.LoadReport!.Source);
        var result = ReferenceCheck.Run(model, Path.Combine(src, "reference.safetensors"), 1e-4);
        Assert.True(result.Ok, string.Join("\n", result.Tensors.Where(t => !t.Ok).Select(t => $"{t.Name}: {t.MaxAbsDiff:g3} {t.Problem}")));
    }
}
