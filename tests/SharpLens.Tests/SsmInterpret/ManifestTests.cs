// The ssm-study manifest: a valid one loads in report order; each bad one is one `error:` line, exit 2, nothing written.
using System.Text.Json.Nodes;
using SharpLens.Analysis.SsmInterpret;
using SharpLens.Tests.Support;

namespace SharpLens.Tests.SsmInterpret;

public sealed class ManifestTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    static readonly (string, string, string, string?)[] Models =
        [("rocoder", "rocoder", "pretrained", null), ("codessm-typeinf", "codessm", "typeinf", "codessm"), ("codessm", "codessm", "pretrained", null)];

    [Fact]
    public void A_valid_manifest_loads_in_role_and_variant_order()
    {
        var path = StudyFolders.Create(dir.Path, Models);
        var m = StudyManifest.Load(path);
        Assert.Equal(["codessm/pretrained", "codessm/typeinf", "rocoder/pretrained"], m.Entries.Select(e => e.Name));
        var ft = m.Entries[1];
        Assert.Equal("codessm", ft.From);
        Assert.Same(m.Entries[0], m.PretrainedOf(ft));
        Assert.Equal("BiGS", m.Entries[0].ModelType);
        Assert.Equal(StudyFolders.Layers, m.Entries[2].NLayers);
        Assert.Single(m.Entries.Select(e => e.TokenizerHash).Distinct());
    }

    public static TheoryData<string, string> BadManifests => new()
    {
        { "missing-folder", "model folder not found" },
        { "role-twice", "expected each role/variant once, found codessm/pretrained 2 times" },
        { "no-from", "expected \"from\" naming the pretrained codessm folder" },
        { "from-wrong-role", "derives from 'rocoder', expected the pretrained codessm entry" },
        { "wrong-architecture", "role codessm expects BiGS without conv_kernel_size, found model_type roformer" },
        { "other-tokenizer", "expected one tokenizer for every model" },
        { "bad-role", "expected role among codessm, rocoder, codessm-hf, mamba, found 'ssm'" },
        { "not-json", "expected a JSON object with a \"models\" list, found invalid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadManifests))]
    public void A_bad_manifest_is_one_error_line_exit_2_and_nothing_written(string defect, string expected)
    {
        var path = StudyFolders.Create(dir.Path, Models);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var models = json["models"]!.AsArray();
        JsonObject Entry(string folder) => models.Select(m => m!.AsObject()).First(m => m["folder"]!.GetValue<string>() == folder);
        switch (defect)
        {
            case "missing-folder": Entry("rocoder")["folder"] = "nowhere"; break;
            case "role-twice": Entry("rocoder")["role"] = "codessm"; Entry("rocoder")["folder"] = "codessm"; break;
            case "no-from": Entry("codessm-typeinf").Remove("from"); break;
            case "from-wrong-role": Entry("codessm-typeinf")["from"] = "rocoder"; break;
            case "wrong-architecture": Entry("rocoder")["role"] = "codessm"; Entry("codessm")["role"] = "rocoder"; break;
            case "other-tokenizer": File.AppendAllText(Path.Combine(dir.Path, "rocoder", "tokenizer.json"), " "); break;
            case "bad-role": Entry("rocoder")["role"] = "ssm"; break;
        }
        File.WriteAllText(path, defect == "not-json" ? "{ models: " : json.ToJsonString());
        var output = dir.File("out");
        var (code, stderr) = Support.Cli.Run("ssm-study", "--manifest", path, "--out", output, "--pairs-dir", dir.File("pairs"));
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void A_probe_layer_outside_a_model_is_an_error_before_any_work()
    {
        var path = StudyFolders.Create(dir.Path, Models);
        var output = dir.File("out");
        var (code, stderr) = Support.Cli.Run("ssm-study", "--manifest", path, "--out", output, "--pairs-dir", dir.File("pairs"), "--layers", $"1,{StudyFolders.Layers}");
        Assert.Equal(2, code);
        Assert.StartsWith("error: codessm/pretrained ('codessm') has 4 layers: expected probe layers in 0..3, found 4", stderr.Trim());
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Paper_layers_scale_to_the_model_depth()
    {
        Assert.Equal([2, 3, 5, 7, 9, 10], SsmStudy.MapLayers("m", 12).Select(r => r.Layer));
        Assert.Equal([1, 1, 2, 3, 4, 5], SsmStudy.MapLayers("m", 6).Select(r => r.Layer));        // 3·6/12 = 1.5 → 2nd block output
        Assert.Equal([0, 0, 1, 2, 2, 3], SsmStudy.MapLayers("m", 4).Select(r => r.Layer));
        Assert.All(SsmStudy.MapLayers("m", 1), r => Assert.Equal(0, r.Layer));
        Assert.Equal([3, 7], SsmStudy.MapLayers("m", 12, [3, 7]).Select(r => r.Layer));
        Assert.All(SsmStudy.MapLayers("m", 12, [3, 7]), r => Assert.Null(r.PaperLayer));
    }
}
