// GPT2LMHeadModel config: the keys of transformers' GPT2Config, with its class defaults.
using System.Text.Json;
using SharpLens.Loading;

namespace SharpLens.Architectures.Gpt2;

/// <summary>GPT2Config (Reference: transformers configuration_gpt2.py). Absent keys take the class defaults.</summary>
public sealed record Gpt2Config
{
    public required int VocabSize { get; init; }                 // vocab_size
    public required int MaxPositions { get; init; }              // n_positions
    public required int DModel { get; init; }                    // n_embd
    public required int NLayers { get; init; }                   // n_layer
    public required int NHeads { get; init; }                    // n_head
    public int? NInner { get; init; }                            // n_inner (null → 4·d_model)
    public required string ActivationFunction { get; init; }     // activation_function
    public required double LayerNormEpsilon { get; init; }       // layer_norm_epsilon
    public required bool ScaleAttnWeights { get; init; }         // scale_attn_weights
    public required bool ScaleAttnByInverseLayerIdx { get; init; } // scale_attn_by_inverse_layer_idx
    public required bool ReorderAndUpcastAttn { get; init; }     // reorder_and_upcast_attn
    public required bool TieWordEmbeddings { get; init; }        // tie_word_embeddings (PretrainedConfig default true)
    public double InitializerRange { get; init; } = 0.02;        // initializer_range
    public double ResidPdrop { get; init; } = 0.1;               // resid_pdrop (training only)
    public double EmbdPdrop { get; init; } = 0.1;                // embd_pdrop (training only)
    public double AttnPdrop { get; init; } = 0.1;                // attn_pdrop (training only)
    public int? BosTokenId { get; init; } = 50256;
    public int? EosTokenId { get; init; } = 50256;

    public int DHead => DModel / NHeads;
    public int DMlp => NInner ?? 4 * DModel;

    public static Gpt2Config From(HfConfig c)
    {
        if (c.Bool("add_cross_attention", false))
            throw new NotSupportedException($"{c.Path}: add_cross_attention = true is not supported (GPT2LMHeadModel is loaded as a decoder-only model)");
        var cfg = new Gpt2Config
        {
            VocabSize = c.Int("vocab_size", 50257),
            MaxPositions = c.Int("n_positions", 1024),
            DModel = c.Int("n_embd", 768),
            NLayers = c.Int("n_layer", 12),
            NHeads = c.Int("n_head", 12),
            NInner = c.IntOrNull("n_inner"),
            ActivationFunction = c.String("activation_function", "gelu_new")!,
            LayerNormEpsilon = c.Double("layer_norm_epsilon", 1e-5),
            ScaleAttnWeights = c.Bool("scale_attn_weights", true),
            ScaleAttnByInverseLayerIdx = c.Bool("scale_attn_by_inverse_layer_idx", false),
            ReorderAndUpcastAttn = c.Bool("reorder_and_upcast_attn", false),
            TieWordEmbeddings = c.Bool("tie_word_embeddings", true),
            InitializerRange = c.Double("initializer_range", 0.02),
            ResidPdrop = c.Double("resid_pdrop", 0.1),
            EmbdPdrop = c.Double("embd_pdrop", 0.1),
            AttnPdrop = c.Double("attn_pdrop", 0.1),
            BosTokenId = c.Json.ContainsKey("bos_token_id") ? c.IntOrNull("bos_token_id") : 50256,
            EosTokenId = c.Json.ContainsKey("eos_token_id") ? c.IntOrNull("eos_token_id") : 50256,
        };
        if (cfg.DModel % cfg.NHeads != 0)
            throw new InvalidDataException($"{c.Path}: n_embd ({cfg.DModel}) must be a multiple of n_head ({cfg.NHeads})");
        Nn.Activations.Get(cfg.ActivationFunction, c.Path);   // rejects unknown activations at load time
        return cfg;
    }

    /// <summary>config.json as transformers' save_pretrained writes it (sorted keys, 2-space indent).</summary>
    public string ToJson() => JsonSerializer.Serialize(new SortedDictionary<string, object?>(StringComparer.Ordinal)
    {
        ["activation_function"] = ActivationFunction, ["architectures"] = new[] { "GPT2LMHeadModel" },
        ["attn_pdrop"] = AttnPdrop, ["bos_token_id"] = BosTokenId, ["embd_pdrop"] = EmbdPdrop, ["eos_token_id"] = EosTokenId,
        ["initializer_range"] = InitializerRange, ["layer_norm_epsilon"] = LayerNormEpsilon, ["model_type"] = "gpt2",
        ["n_embd"] = DModel, ["n_head"] = NHeads, ["n_inner"] = NInner, ["n_layer"] = NLayers, ["n_positions"] = MaxPositions,
        ["reorder_and_upcast_attn"] = ReorderAndUpcastAttn, ["resid_pdrop"] = ResidPdrop,
        ["scale_attn_by_inverse_layer_idx"] = ScaleAttnByInverseLayerIdx, ["scale_attn_weights"] = ScaleAttnWeights,
        ["tie_word_embeddings"] = TieWordEmbeddings, ["vocab_size"] = VocabSize,
    }, new JsonSerializerOptions { WriteIndented = true });
}
