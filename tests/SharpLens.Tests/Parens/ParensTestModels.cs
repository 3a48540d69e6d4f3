// Test helpers for the parens study: tiny in-memory Llamas, writing them as checkpoints, and prompts built from ids.
using SharpLens.Analysis.Parens;
using SharpLens.Architectures.Llama;
using SharpLens.Code.Datasets;
using SharpLens.Loading;
using static TorchSharp.torch;

namespace SharpLens.Tests.Parens;

internal static class ParensTestModels
{
    public static string Config(int vocab, int d, int layers, int heads, int dHead, int mlp, double ropeTheta = 10000) => $$"""
        {"architectures":["LlamaForCausalLM"],"model_type":"llama","hidden_size":{{d}},"intermediate_size":{{mlp}},"num_hidden_layers":{{layers}},
         "num_attention_heads":{{heads}},"num_key_value_heads":{{heads}},"head_dim":{{dHead}},"vocab_size":{{vocab}},"rms_norm_eps":1e-6,
         "rope_theta":{{ropeTheta}},"max_position_embeddings":256,"hidden_act":"silu","tie_word_embeddings":false,"bos_token_id":1,"eos_token_id":2}
        """;

    /// <summary>A float32 Llama built from a config with N(0, std) weights (seeded), in eval mode.</summary>
    public static LlamaForCausalLM Build(string configJson, double std = 0.3, long seed = 0)
    {
        var m = (LlamaForCausalLM)LlamaForCausalLM.Create(HfConfig.FromJson(configJson)).Model;
        m.InitWeights(std, new Generator((ulong)seed));
        m.eval();
        return m;
    }

    /// <summary>Writes config.json + model.safetensors for a model built by <see cref="Build"/>.</summary>
    public static void Write(LlamaForCausalLM m, string configJson, string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), configJson);
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), m.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
    }

    /// <summary>A prompt from ids (roles from <paramref name="roleOf"/>), label and counterfactual ids.</summary>
    public static PreparedPrompt Prompt(string id, int[] ids, int label, int cf, int depth, int closed, Func<int, TokenRole> roleOf) => new()
    {
        Example = new ParensExample
        {
            Id = id, Variant = closed > 0 ? "closed" : "template", Prompt = string.Join(" ", ids), LabelText = new string(')', depth),
            CounterfactualText = new string(')', depth + 1), Depth = depth, Closed = closed, OpenParens = depth, Split = "test",
            Language = "python", Source = "test", Seed = 0, Generator = "test",
        },
        Ids = ids, Texts = ids.Select(i => i.ToString()).ToArray(), Roles = ids.Select(roleOf).ToArray(),
        LabelId = label, LabelToken = label.ToString(), CounterfactualId = cf, CounterfactualToken = cf.ToString(),
        LabelSingleToken = true, PromptIsPrefix = true, CounterfactualKind = "one more )",
    };
}
