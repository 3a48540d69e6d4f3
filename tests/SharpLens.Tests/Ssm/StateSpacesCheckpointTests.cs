// A Mamba checkpoint in the original state-spaces (mamba_ssm) layout: config without model_type, backbone.embedding.
using System.Text.Json.Nodes;
using SharpLens.Analysis;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Ssm;

public class StateSpacesCheckpointTests
{
    [FixtureFact]
    public void State_spaces_config_and_names_load_and_pass_the_reference()
    {
        var src = Fixtures.Model("mamba");
        var hf = JsonNode.Parse(File.ReadAllText(Path.Combine(src, "config.json")))!;
        using var dir = new TempDir();
        var ss = new JsonObject
        {
            ["d_model"] = hf["hidden_size"]!.GetValue<int>(),
            ["n_layer"] = hf["num_hidden_layers"]!.GetValue<int>(),
            ["vocab_size"] = hf["vocab_size"]!.GetValue<int>(),
            ["ssm_cfg"] = new JsonObject { ["d_state"] = hf["state_size"]!.GetValue<int>(), ["d_conv"] = hf["conv_kernel"]!.GetValue<int>(), ["expand"] = hf["expand"]!.GetValue<int>() },
            ["rms_norm"] = true, ["residual_in_fp32"] = true, ["fused_add_norm"] = true, ["pad_vocab_size_multiple"] = 8,
            ["tie_embeddings"] = hf["tie_word_embeddings"]?.GetValue<bool>() ?? true,
        };
        File.WriteAllText(dir.File("config.json"), ss.ToJsonString());
        List<(string, Tensor)> tensors;
        using (var st = SafeTensorsFile.Open(Path.Combine(src, "model.safetensors")))
            tensors = st.Keys.Select(k => (k == "backbone.embeddings.weight" ? "backbone.embedding.weight" : k, st.Load(k).clone())).ToList();
        SafeTensorsWriter.Write(dir.File("model.safetensors"), tensors);

        using var model = ModelLoader.Load(dir.Path);
        Assert.Equal("MambaForCausalLM", model.Info.Architecture);
        var result = ReferenceCheck.Run(model, Path.Combine(src, "reference.safetensors"), 1e-4);
        Assert.True(result.Ok, string.Join("\n", result.Tensors.Where(t => !t.Ok).Select(t => $"{t.Name}: {t.MaxAbsDiff:g3} {t.Problem}")));
    }

    [Fact]
    public void State_spaces_mamba2_is_rejected_by_name()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), """{"d_model": 64, "n_layer": 2, "vocab_size": 100, "ssm_cfg": {"layer": "Mamba2"}}""");
        var e = Assert.Throws<NotSupportedException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("Mamba2", e.Message);
    }
}
