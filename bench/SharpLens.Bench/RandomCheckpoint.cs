// Random-weight float32 checkpoints (config.json + model.safetensors) of named shapes, for speed and memory benchmarks.
using System.Text.Json.Nodes;
using SharpLens.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Bench;

internal static class RandomCheckpoint
{
    /// <summary>The benchmark shapes by name: GPT-2 small (124M) and SmolLM-135M's Llama shape (30 layers, GQA 9/3 heads).</summary>
    public static JsonObject Config(string shape) => shape switch
    {
        "gpt2" => new JsonObject
        {
            ["model_type"] = "gpt2", ["architectures"] = new JsonArray("GPT2LMHeadModel"), ["vocab_size"] = 50257,
            ["n_positions"] = 1024, ["n_embd"] = 768, ["n_layer"] = 12, ["n_head"] = 12, ["activation_function"] = "gelu_new",
            ["layer_norm_epsilon"] = 1e-5,
        },
        "llama" => new JsonObject
        {
            ["model_type"] = "llama", ["architectures"] = new JsonArray("LlamaForCausalLM"), ["vocab_size"] = 49152,
            ["hidden_size"] = 576, ["intermediate_size"] = 1536, ["num_hidden_layers"] = 30, ["num_attention_heads"] = 9,
            ["num_key_value_heads"] = 3, ["max_position_embeddings"] = 2048, ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 10000.0,
            ["hidden_act"] = "silu", ["tie_word_embeddings"] = true,
        },
        _ => throw new ArgumentException($"shape must be gpt2 or llama, found '{shape}'"),
    };

    /// <summary>Writes the shape's config and N(0, 0.02) float32 weights (unit norms, zero biases) to <paramref name="dir"/>
    /// unless a checkpoint is already there; returns the safetensors size in bytes.</summary>
    public static long Write(string dir, JsonObject config)
    {
        var path = Path.Combine(dir, "model.safetensors");
        var configPath = Path.Combine(dir, "config.json");
        var text = config.ToJsonString();
        if (File.Exists(path) && File.Exists(configPath) && File.ReadAllText(configPath) == text) return new FileInfo(path).Length;
        Directory.CreateDirectory(dir);
        File.WriteAllText(configPath, text);
        var arch = ModelLoader.Create(HfConfig.Load(configPath));
        using var model = arch.Model;
        var gen = new Generator(0);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
            {
                if (name.EndsWith(".bias")) p.zero_();
                else if (name.Contains("ln_") || name.Contains("norm")) p.fill_(1.0);
                else p.normal_(0, 0.02, gen);
            }
        SafeTensorsWriter.Write(path, model.named_parameters().Select(x => (x.name, (Tensor)x.parameter)));
        return new FileInfo(path).Length;
    }
}
