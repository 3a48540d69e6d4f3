// LlamaForCausalLM config: the keys of transformers' LlamaConfig, with its class defaults.
using System.Text.Json;
using SharpLens.Loading;

namespace SharpLens.Architectures.Llama;

/// <summary>LlamaConfig (Reference: transformers configuration_llama.py).</summary>
public sealed record LlamaConfig
{
    public required int VocabSize { get; init; }          // vocab_size
    public required int DModel { get; init; }             // hidden_size
    public required int DMlp { get; init; }               // intermediate_size
    public required int NLayers { get; init; }            // num_hidden_layers
    public required int NHeads { get; init; }             // num_attention_heads
    public required int NKvHeads { get; init; }           // num_key_value_heads
    public required int DHead { get; init; }              // head_dim
    public required string HiddenAct { get; init; }       // hidden_act
    public required double RmsNormEps { get; init; }      // rms_norm_eps
    public required double RopeTheta { get; init; }       // rope_theta
    public required double RopeLinearFactor { get; init; } // rope_scaling {type: linear, factor}
    public required bool TieWordEmbeddings { get; init; } // tie_word_embeddings
    public required bool AttentionBias { get; init; }     // attention_bias
    public required bool MlpBias { get; init; }           // mlp_bias
    public int MaxPositions { get; init; }                // max_position_embeddings
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }

    public static LlamaConfig From(HfConfig c)
    {
        int d = c.Int("hidden_size", 4096), h = c.Int("num_attention_heads", 32);
        double theta = c.Double("rope_theta", 10000.0), factor = 1.0;
        // transformers ≥ 4.x writes rope_scaling {"type"|"rope_type": …}; v5 may write rope_parameters {rope_type, rope_theta, …}
        foreach (var key in new[] { "rope_scaling", "rope_parameters" })
        {
            var rs = c.Object(key);
            if (rs is null) continue;
            var type = c.StringIn(rs, key, "rope_type") ?? c.StringIn(rs, key, "type") ?? "default";
            if (c.DoubleIn(rs, key, "rope_theta") is double t) theta = t;
            switch (type)
            {
                case "default": break;
                case "linear":
                    factor = c.DoubleIn(rs, key, "factor") ?? throw new InvalidDataException($"{c.Path}: {key} type linear needs 'factor'");
                    if (factor <= 0) throw new InvalidDataException($"{c.Path}: {key}.factor must be positive, found {factor}");
                    break;
                default:
                    throw new NotSupportedException($"{c.Path}: {key} type '{type}' is not supported (supported: default, linear)");
            }
        }
        int tp = c.Int("pretraining_tp", 1);
        if (tp < 1) throw new InvalidDataException($"{c.Path}: pretraining_tp must be ≥ 1, found {tp}");
        var cfg = new LlamaConfig
        {
            VocabSize = c.Int("vocab_size", 32000),
            DModel = d,
            DMlp = c.Int("intermediate_size", 11008),
            NLayers = c.Int("num_hidden_layers", 32),
            NHeads = h,
            NKvHeads = c.IntOrNull("num_key_value_heads") ?? h,
            DHead = c.IntOrNull("head_dim") ?? d / h,
            HiddenAct = c.String("hidden_act", "silu")!,
            RmsNormEps = c.Double("rms_norm_eps", 1e-6),
            RopeTheta = theta,
            RopeLinearFactor = factor,
            TieWordEmbeddings = c.Bool("tie_word_embeddings", false),
            AttentionBias = c.Bool("attention_bias", false),
            MlpBias = c.Bool("mlp_bias", false),
            MaxPositions = c.Int("max_position_embeddings", 2048),
            BosTokenId = c.IntOrNull("bos_token_id"),
            EosTokenId = c.IntOrNull("eos_token_id"),
        };
        if (!c.Has("head_dim") && d % h != 0)
            throw new InvalidDataException($"{c.Path}: hidden_size ({d}) must be a multiple of num_attention_heads ({h}) when head_dim is absent");
        if (cfg.NHeads % cfg.NKvHeads != 0)
            throw new InvalidDataException($"{c.Path}: num_attention_heads ({cfg.NHeads}) must be a multiple of num_key_value_heads ({cfg.NKvHeads})");
        return cfg;
    }

    /// <summary>config.json as transformers' save_pretrained writes it (sorted keys, 2-space indent).</summary>
    public string ToJson() => JsonSerializer.Serialize(new SortedDictionary<string, object?>(StringComparer.Ordinal)
    {
        ["architectures"] = new[] { "LlamaForCausalLM" }, ["attention_bias"] = AttentionBias, ["bos_token_id"] = BosTokenId,
        ["eos_token_id"] = EosTokenId, ["head_dim"] = DHead, ["hidden_act"] = HiddenAct, ["hidden_size"] = DModel,
        ["intermediate_size"] = DMlp, ["max_position_embeddings"] = MaxPositions, ["mlp_bias"] = MlpBias, ["model_type"] = "llama",
        ["num_attention_heads"] = NHeads, ["num_hidden_layers"] = NLayers, ["num_key_value_heads"] = NKvHeads,
        ["rms_norm_eps"] = RmsNormEps, ["rope_scaling"] = RopeLinearFactor == 1.0 ? null
            : new Dictionary<string, object> { ["rope_type"] = "linear", ["factor"] = RopeLinearFactor },
        ["rope_theta"] = RopeTheta, ["tie_word_embeddings"] = TieWordEmbeddings, ["vocab_size"] = VocabSize,
    }, new JsonSerializerOptions { WriteIndented = true });
}
