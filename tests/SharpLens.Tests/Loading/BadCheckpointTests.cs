// Bad inputs to loading: each is a clear exception naming the file or key — never a crash or a partial output.
using System.Text;
using System.Text.Json.Nodes;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Loading;

public class BadCheckpointTests
{
    static byte[] Safetensors(string headerJson, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + h.Length + dataBytes];
        BitConverter.GetBytes((ulong)h.Length).CopyTo(bytes, 0);
        h.CopyTo(bytes, 8);
        return bytes;
    }

    static string OpenFails(byte[] bytes)
    {
        using var dir = new TempDir();
        var p = dir.File("x.safetensors");
        File.WriteAllBytes(p, bytes);
        var e = Assert.ThrowsAny<Exception>(() => SafeTensorsFile.Open(p).Dispose());
        Assert.IsType<CheckpointFormatException>(e);
        Assert.Contains(p, e.Message);
        return e.Message;
    }

    [Fact]
    public void Truncated_file_is_rejected() =>
        Assert.Contains("truncated", OpenFails(Safetensors("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8)));

    [Fact]
    public void Header_length_past_end_of_file_is_rejected()
    {
        var b = Safetensors("{}", 0);
        BitConverter.GetBytes(1_000_000UL).CopyTo(b, 0);
        Assert.Contains("past the end", OpenFails(b));
    }

    [Fact]
    public void Tiny_file_is_rejected() => Assert.Contains("8-byte", OpenFails([1, 2, 3]));

    [Fact]
    public void Overlapping_offsets_are_rejected() => Assert.Contains("overlaps", OpenFails(Safetensors(
        """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12)));

    [Fact]
    public void Out_of_range_offsets_are_rejected() => Assert.Contains("past the data buffer", OpenFails(Safetensors(
        """{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8)));

    [Fact]
    public void Dtype_shape_byte_size_mismatch_is_rejected() => Assert.Contains("needs 12 bytes", OpenFails(Safetensors(
        """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8)));

    [Fact]
    public void Malformed_header_json_is_rejected() => Assert.Contains("not valid JSON", OpenFails(Safetensors("{\"a\": [", 0)));

    [Fact]
    public void Unknown_dtype_is_rejected() => Assert.Contains("F7", OpenFails(Safetensors(
        """{"a":{"dtype":"F7","shape":[1],"data_offsets":[0,4]}}""", 4)));

    static void Rewrite(string modelFile, Func<List<(string, Tensor)>, List<(string, Tensor)>> edit)
    {
        List<(string, Tensor)> tensors;
        using (var f = SafeTensorsFile.Open(modelFile))
            tensors = f.Keys.Select(k => (k, f.Load(k).clone())).ToList();
        SafeTensorsWriter.Write(modelFile, edit(tensors));
    }

    [FixtureFact]
    public void Missing_tensor_is_reported_by_name()
    {
        using var dir = new TempDir().WithModel("tiny-llama-tied");
        Rewrite(dir.File("model.safetensors"), t => t.Where(x => x.Item1 != "model.layers.1.mlp.up_proj.weight").ToList());
        var e = Assert.Throws<CheckpointLoadException>(() => ModelLoader.Load(dir.Path));
        Assert.Equal(["model.layers.1.mlp.up_proj.weight"], e.Report.Missing);
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message);
    }

    [FixtureFact]
    public void Unexpected_tensor_is_reported_by_name()
    {
        using var dir = new TempDir().WithModel("tiny-llama-tied");
        Rewrite(dir.File("model.safetensors"), t => [.. t, ("model.layers.0.extra.weight", zeros(3))]);
        var e = Assert.Throws<CheckpointLoadException>(() => ModelLoader.Load(dir.Path));
        Assert.Equal(["model.layers.0.extra.weight"], e.Report.Unexpected);
    }

    [FixtureFact]
    public void Shape_mismatch_with_config_is_reported()
    {
        using var dir = new TempDir().WithModel("tiny-llama-tied");
        var cfg = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        cfg["intermediate_size"] = 100;
        File.WriteAllText(dir.File("config.json"), cfg.ToJsonString());
        var e = Assert.Throws<CheckpointLoadException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains(e.Report.Mismatched, m => m.CheckpointKey == "model.layers.0.mlp.up_proj.weight" && m.Found[0] == 96 && m.Expected[0] == 100);
    }

    [FixtureFact]
    public void Tied_checkpoint_with_a_stored_head_reports_the_tie()
    {
        using var dir = new TempDir().WithModel("tiny-llama-tied");
        Rewrite(dir.File("model.safetensors"), t => [.. t, ("lm_head.weight", t.Single(x => x.Item1 == "model.embed_tokens.weight").Item2.clone())]);
        using var m = ModelLoader.Load(dir.Path);
        Assert.Contains(m.LoadReport!.Tied, s => s.StartsWith("lm_head.weight"));
    }

    [Fact]
    public void Unknown_model_type_names_the_type_and_the_supported_ones()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), """{"model_type": "falcon-x"}""");
        var e = Assert.Throws<NotSupportedException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("falcon-x", e.Message);
        Assert.Contains("llama", e.Message);
    }

    [Fact]
    public void Malformed_config_json_is_rejected()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), """{"model_type": "llama", """);
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void Wrong_typed_config_key_is_rejected_naming_the_key()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), """{"model_type": "llama", "hidden_size": "big"}""");
        var e = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("hidden_size", e.Message);
    }

    [Fact]
    public void Unsupported_rope_scaling_is_rejected_not_ignored()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), """{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "rope_scaling": {"type": "yarn", "factor": 4}}""");
        var e = Assert.Throws<NotSupportedException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("yarn", e.Message);
    }

    [Fact]
    public void Missing_folder_is_a_clear_error() =>
        Assert.Contains("/no/such/folder", Assert.Throws<DirectoryNotFoundException>(() => ModelLoader.Load("/no/such/folder")).Message);

    [Fact]
    public void Folder_without_weights_is_a_clear_error()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), """{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 16, "num_hidden_layers": 1, "vocab_size": 10}""");
        Assert.Contains("no weights", Assert.Throws<FileNotFoundException>(() => ModelLoader.Load(dir.Path)).Message);
    }

    [FixtureFact]
    public void Sharded_checkpoint_loads_and_bad_index_is_rejected()
    {
        using var dir = new TempDir().WithModel("tiny-llama-tied");
        List<(string, Tensor)> all;
        using (var f = SafeTensorsFile.Open(dir.File("model.safetensors"))) all = f.Keys.Select(k => (k, f.Load(k).clone())).ToList();
        File.Delete(dir.File("model.safetensors"));
        var half = all.Count / 2;
        SafeTensorsWriter.Write(dir.File("model-00001-of-00002.safetensors"), all.Take(half));
        SafeTensorsWriter.Write(dir.File("model-00002-of-00002.safetensors"), all.Skip(half));
        var map = new JsonObject();
        for (int i = 0; i < all.Count; i++) map[all[i].Item1] = i < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
        File.WriteAllText(dir.File("model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
        using (var m = ModelLoader.Load(dir.Path)) Assert.True(m.LoadReport!.IsComplete);
        using var reference = ModelLoader.Load(Fixtures.Model("tiny-llama-tied"));
        map[all[0].Item1] = "model-00002-of-00002.safetensors";
        File.WriteAllText(dir.File("model.safetensors.index.json"), new JsonObject { ["weight_map"] = map.DeepClone() }.ToJsonString());
        Assert.Contains(all[0].Item1, Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(dir.Path)).Message);
    }

    [FixtureFact]
    public void Out_of_vocabulary_ids_are_a_clear_error()
    {
        using var m = ModelLoader.Load(Fixtures.Model("tiny-llama-tied"));
        Assert.Contains("[0, 128)", Assert.Throws<ArgumentException>(() => m.Run(tensor(new long[] { 1, 500 }).unsqueeze(0))).Message);
    }

    [FixtureFact]
    public void Memory_mapped_weights_are_views_not_copies()
    {
        using var m = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        using var f = SafeTensorsFile.Open(Path.Combine(Fixtures.Model("llama-gqa"), "model.safetensors"));
        var p = m.named_parameters().Single(x => x.name == "model.layers.0.self_attn.q_proj.weight").parameter;
        Assert.True(p.eq(f.Load("model.layers.0.self_attn.q_proj.weight")).all().item<bool>());
        Assert.True(p.storage_offset() > 0, "a parameter loaded from the map is a view into the whole-file tensor");
    }
}
