// GPTBigCodeForCausalLM config: the keys of transformers' GPTBigCodeConfig, with its class defaults.
using System.Text.Json;
using SharpLens.Loading;

namespace SharpLens.Architectures.GptBigCode;

/// <summary>GPTBigCodeConfig (Reference: transformers configuration_gpt_bigcode.py). Absent keys take the class defaults.</summary>
public sealed record GptBigCodeConfig
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
    public required bool MultiQuery { get; init; }               // multi_query: one K/V head shared by all query heads
    public required bool AttentionSoftmaxInFp32 { get; init; }   // attention_softmax_in_fp32
    public required bool ScaleAttentionSoftmaxInFp32 { get; init; } // scale_attention_softmax_in_fp32 (changes rounding only)
    public required bool TieWordEmbeddings { get; init; }        // tie_word_embeddings (PretrainedConfig default true)
    public double InitializerRange { get; init; } = 0.02;
    public double ResidPdrop { get; init; } = 0.1;
    public double EmbdPdrop { get; init; } = 0.1;
    public double AttnPdrop { get; init; } = 0.1;
    public int? BosTokenId { get; init; } = 50256;
    public int? EosTokenId { get; init; } = 50256;

    public int DHead => DModel / NHeads;
    public int DMlp => NInner ?? 4 * DModel;
    public int NKvHeads => MultiQuery ? 1 : NHeads;

    public static GptBigCodeConfig From(HfConfig c)
    {
        if (c.Bool("add_cross_attention", false))
            throw new NotSupportedException($"{c.Path}: add_cross_attention = true is not supported (GPTBigCodeForCausalLM is loaded as a decoder-only model)");
        var cfg = new GptBigCodeConfig
        {
            VocabSize = c.Int("vocab_size", 50257),
            MaxPositions = c.Int("n_positions", 1024),
            DModel = c.Int("n_embd", 768),
            NLayers = c.Int("n_layer", 12),
            NHeads = c.Int("n_head", 12),
            NInner = c.IntOrNull("n_inner"),
            ActivationFunction = c.String("activation_function", "gelu_pytorch_tanh")!,
            LayerNormEpsilon = c.Double("layer_norm_epsilon", 1e-5),
            ScaleAttnWeights = c.Bool("scale_attn_weights", true),
            MultiQuery = c.Bool("multi_query", true),
            AttentionSoftmaxInFp32 = c.Bool("attention_softmax_in_fp32", true),
            ScaleAttentionSoftmaxInFp32 = c.Bool("scale_attention_softmax_in_fp32", true),
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
        Nn.Activations.Get(cfg.ActivationFunction, c.Path);
        return cfg;
    }

    /// <summary>config.json as transformers' save_pretrained writes it (sorted keys, 2-space indent).</summary>
    public string ToJson() => JsonSerializer.Serialize(new SortedDictionary<string, object?>(StringComparer.Ordinal)
    {
        ["activation_function"] = ActivationFunction, ["architectures"] = new[] { "GPTBigCodeForCausalLM" },
        ["attention_softmax_in_fp32"] = AttentionSoftmaxInFp32, ["attn_pdrop"] = AttnPdrop, ["bos_token_id"] = BosTokenId,
        ["embd_pdrop"] = EmbdPdrop, ["eos_token_id"] = EosTokenId, ["initializer_range"] = InitializerRange,
        ["layer_norm_epsilon"] = LayerNormEpsilon, ["model_type"] = "gpt_bigcode", ["multi_query"] = MultiQuery,
        ["n_embd"] = DModel, ["n_head"] = NHeads, ["n_inner"] = NInner, ["n_layer"] = NLayers, ["n_positions"] = MaxPositions,
        ["resid_pdrop"] = ResidPdrop, ["scale_attention_softmax_in_fp32"] = ScaleAttentionSoftmaxInFp32,
        ["scale_attn_weights"] = ScaleAttnWeights, ["tie_word_embeddings"] = TieWordEmbeddings, ["vocab_size"] = VocabSize,
    }, new JsonSerializerOptions { WriteIndented = true });
}
