// Size options → an HF config.json (HF keys only) → a freshly initialised model built by its family (Loading/ModelFamily.cs).
using System.Text.Json.Nodes;
using SharpLens.Architectures.Bigs;
using SharpLens.Architectures.Gpt2;
using SharpLens.Architectures.Llama;
using SharpLens.Architectures.Mamba;
using SharpLens.Architectures.RoFormer;
using SharpLens.Loading;
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>Builds untrained models for <c>sharplens train</c>, one config writer per architecture.</summary>
public static class ModelFactory
{
    /// <summary>--arch values, with the HF model_type each maps to.</summary>
    public static IReadOnlyDictionary<string, string> ModelTypes { get; } = new Dictionary<string, string>
    {
        ["llama"] = "llama", ["gpt2"] = "gpt2", ["roberta-rope"] = "roformer", ["bigs"] = "BiGS", ["mamba"] = "mamba",
    };

    /// <summary>Architectures whose model class is present in this build.</summary>
    public static IEnumerable<string> Available => ModelTypes.Where(kv => ModelLoader.SupportedModelTypes.Contains(kv.Value)).Select(kv => kv.Key);

    /// <summary>Throws a clear message when <paramref name="arch"/> is unknown or its model class is not in this build.</summary>
    public static void RequireAvailable(string arch)
    {
        if (!ModelTypes.TryGetValue(arch, out var type))
            throw new ArgumentException($"--arch '{arch}' is unknown (expected one of: {string.Join(", ", ModelTypes.Keys)})");
        if (!ModelLoader.SupportedModelTypes.Contains(type))
            throw new NotSupportedException($"--arch {arch} (model_type '{type}') is not available yet in this build of SharpLens " +
                $"(available: {string.Join(", ", Available)})");
    }

    /// <summary>The config.json of the model to train.</summary>
    public static JsonObject Config(TrainOptions o, TrainTokenizer tok)
    {
        RequireAvailable(o.Arch);
        return o.Arch switch
        {
            "llama" => LlamaJson(o, tok),
            "gpt2" => Canonical(o, Objective.Clm, Gpt2Json(o, tok), c => Gpt2Config.From(c).ToJson()),
            "roberta-rope" => Canonical(o, Objective.Mlm, RoFormerJson(o, tok), c => RoFormerConfig.From(c).ToJson()),
            "bigs" => Canonical(o, Objective.Mlm, BigsJson(o, tok), c => BigsConfig.From(c).ToJson()),
            "mamba" => Canonical(o, Objective.Clm, MambaJson(o, tok), c => MambaConfig.From(c).ToJson()),
            _ => throw new NotSupportedException($"--arch {o.Arch}: no config writer yet"),
        };
    }

    /// <summary>Fills class defaults by a round trip through the architecture's own config reader and writer.</summary>
    static JsonObject Canonical(TrainOptions o, Objective objective, JsonObject keys, Func<HfConfig, string> roundTrip)
    {
        if (o.Objective != objective)
            throw new ArgumentException($"--arch {o.Arch} is {(objective == Objective.Clm ? "a causal model: use --objective clm" : "a bidirectional encoder: use --objective mlm")}");
        return JsonNode.Parse(roundTrip(HfConfig.FromJson(keys.ToJsonString(), "config.json")))!.AsObject();
    }

    // Dropout probabilities are written as 0: SharpLens trains without dropout (small data, few steps), and says so.
    static JsonObject Gpt2Json(TrainOptions o, TrainTokenizer tok) => new()
    {
        ["model_type"] = "gpt2", ["vocab_size"] = tok.VocabSize, ["n_embd"] = o.DModel, ["n_layer"] = o.Layers, ["n_head"] = o.Heads,
        ["n_inner"] = o.DMlp ?? 4 * o.DModel, ["n_positions"] = o.SeqLen, ["activation_function"] = "gelu_new",
        ["resid_pdrop"] = 0.0, ["embd_pdrop"] = 0.0, ["attn_pdrop"] = 0.0, ["initializer_range"] = o.InitStd,
        ["bos_token_id"] = tok.BosId, ["eos_token_id"] = tok.EosId, ["tie_word_embeddings"] = true,
    };

    static JsonObject RoFormerJson(TrainOptions o, TrainTokenizer tok) => new()
    {
        ["model_type"] = "roformer", ["vocab_size"] = tok.VocabSize, ["embedding_size"] = o.DModel, ["hidden_size"] = o.DModel,
        ["num_hidden_layers"] = o.Layers, ["num_attention_heads"] = o.Heads, ["intermediate_size"] = o.DMlp ?? 4 * o.DModel,
        ["hidden_act"] = "gelu", ["max_position_embeddings"] = o.SeqLen, ["type_vocab_size"] = 1, ["rotary_value"] = false,
        ["hidden_dropout_prob"] = 0.0, ["attention_probs_dropout_prob"] = 0.0, ["initializer_range"] = o.InitStd,
        ["pad_token_id"] = tok.PadId ?? 0, ["bos_token_id"] = tok.BosId, ["eos_token_id"] = tok.EosId, ["tie_word_embeddings"] = true,
    };

    static JsonObject BigsJson(TrainOptions o, TrainTokenizer tok)
    {
        var json = new JsonObject
        {
            ["model_type"] = "BiGS", ["architectures"] = new JsonArray("BiGSForMaskedLM"), ["vocab_size"] = tok.VocabSize,
            ["hidden_size"] = o.DModel, ["num_hidden_layers"] = o.Layers, ["intermediate_size"] = o.DMlp ?? 4 * o.DModel,
            ["num_ssm"] = o.DState, ["max_position_embeddings"] = o.SeqLen, ["position_embedding_type"] = "none", ["type_vocab_size"] = 1,
            ["hidden_dropout_prob"] = 0.0, ["initializer_range"] = o.InitStd, ["pad_token_id"] = tok.PadId ?? 0, ["layer_norm_eps"] = 1e-12,
        };
        if (o.ConvKernel is int k)                                     // CodeSSM-HF: the parallel short convolution
        {
            json["conv_kernel_size"] = k; json["conv_placement"] = "parallel"; json["conv_merge"] = o.ConvMerge;
        }
        return json;
    }

    static JsonObject MambaJson(TrainOptions o, TrainTokenizer tok) => new()
    {
        ["model_type"] = "mamba", ["vocab_size"] = tok.VocabSize, ["hidden_size"] = o.DModel, ["num_hidden_layers"] = o.Layers,
        ["state_size"] = o.DState, ["expand"] = 2, ["conv_kernel"] = 4, ["pad_token_id"] = tok.PadId ?? 0,
        ["bos_token_id"] = tok.BosId ?? 0, ["eos_token_id"] = tok.EosId ?? 0, ["tie_word_embeddings"] = true,
    };

    static JsonObject LlamaJson(TrainOptions o, TrainTokenizer tok)
    {
        if (o.Objective != Objective.Clm) throw new ArgumentException("--arch llama is a causal model: use --objective clm");
        int dMlp = o.DMlp ?? (int)Math.Ceiling(8.0 / 3 * o.DModel / 16) * 16;
        return new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = "llama",
            ["vocab_size"] = tok.VocabSize,
            ["hidden_size"] = o.DModel,
            ["intermediate_size"] = dMlp,
            ["num_hidden_layers"] = o.Layers,
            ["num_attention_heads"] = o.Heads,
            ["num_key_value_heads"] = o.KvHeads ?? o.Heads,
            ["head_dim"] = o.DModel / o.Heads,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = o.SeqLen,
            ["initializer_range"] = o.InitStd,
            ["rms_norm_eps"] = 1e-5,
            ["rope_theta"] = 10000.0,
            ["attention_bias"] = false,
            ["mlp_bias"] = false,
            ["tie_word_embeddings"] = true,
            ["bos_token_id"] = tok.BosId,
            ["eos_token_id"] = tok.EosId,
            ["pad_token_id"] = tok.PadId,
            ["use_cache"] = true,
            ["torch_dtype"] = "float32",
        };
    }

    /// <summary>Builds the architecture from a config and initialises it (its family's init) from the global torch generator.</summary>
    public static Architecture Create(JsonObject config, double initStd)
    {
        var hf = HfConfig.FromJson(config.ToJsonString(), "config.json");
        var family = ModelFamilies.Of(ref hf);
        var arch = family.Create(hf);
        try { family.InitWeights(arch.Model, initStd); }
        catch { arch.Model.Dispose(); throw; }
        return arch;
    }

    /// <summary>Parameters to train: every named parameter (tied weights appear once).</summary>
    public static List<(string Name, TorchSharp.Modules.Parameter Param)> Trainable(HookedModel model) =>
        model.named_parameters().Select(p => (p.name, p.parameter)).ToList();

    /// <summary>Number of parameters (tied weights counted once).</summary>
    public static long ParameterCount(HookedModel model) => model.parameters().Sum(p => p.NumberOfElements);
}
