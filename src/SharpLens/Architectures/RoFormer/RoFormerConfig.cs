// RoFormerForMaskedLM config: the keys of transformers' RoFormerConfig, with its class defaults.
using System.Text.Json;
using SharpLens.Loading;

namespace SharpLens.Architectures.RoFormer;

/// <summary>RoFormerConfig (Reference: transformers configuration_roformer.py). Absent keys take the class defaults.</summary>
public sealed record RoFormerConfig
{
    public required int VocabSize { get; init; }              // vocab_size
    public required int DEmbed { get; init; }                 // embedding_size (null → hidden_size)
    public required int DModel { get; init; }                 // hidden_size
    public required int NLayers { get; init; }                // num_hidden_layers
    public required int NHeads { get; init; }                 // num_attention_heads
    public required int DMlp { get; init; }                   // intermediate_size
    public required string HiddenAct { get; init; }           // hidden_act (encoder MLP and MLM transform)
    public required int MaxPositions { get; init; }           // max_position_embeddings (size of HF's sinusoidal table)
    public required int TypeVocabSize { get; init; }          // type_vocab_size
    public required double LayerNormEps { get; init; }        // layer_norm_eps
    public required bool RotaryValue { get; init; }           // rotary_value: rotate v as well as q and k
    public required bool TieWordEmbeddings { get; init; }     // tie_word_embeddings
    public int? PadTokenId { get; init; } = 0;                // pad_token_id (zero row at init only)
    public double InitializerRange { get; init; } = 0.02;
    public double HiddenDropoutProb { get; init; } = 0.1;
    public double AttentionProbsDropoutProb { get; init; } = 0.1;
    public int? BosTokenId { get; init; }
    public int? EosTokenId { get; init; }
    public RoFormerHead Head { get; init; } = RoFormerHead.MaskedLm;  // from architectures[0]
    public int NumLabels { get; init; } = 2;                          // num_labels (len(id2label))

    public int DHead => DModel / NHeads;

    public static RoFormerConfig From(HfConfig c)
    {
        if (c.Bool("is_decoder", false))
            throw new NotSupportedException($"{c.Path}: is_decoder = true is not supported (RoFormerForMaskedLM is a bidirectional encoder)");
        if (c.Bool("add_cross_attention", false))
            throw new NotSupportedException($"{c.Path}: add_cross_attention = true is not supported");
        int d = c.Int("hidden_size", 768);
        var arch = c.FirstString("architectures") ?? "RoFormerForMaskedLM";
        var head = arch switch
        {
            "RoFormerForMaskedLM" => RoFormerHead.MaskedLm,
            "RoFormerForTokenClassification" => RoFormerHead.TokenClassification,
            "RoFormerModel" => RoFormerHead.None,
            _ => throw new NotSupportedException($"{c.Path}: architectures[0] = {arch} is not supported (RoFormerForMaskedLM, RoFormerForTokenClassification, RoFormerModel are)"),
        };
        var cfg = new RoFormerConfig
        {
            VocabSize = c.Int("vocab_size", 50000),
            DEmbed = c.IntOrNull("embedding_size") ?? d,
            DModel = d,
            NLayers = c.Int("num_hidden_layers", 12),
            NHeads = c.Int("num_attention_heads", 12),
            DMlp = c.Int("intermediate_size", 3072),
            HiddenAct = c.String("hidden_act", "gelu")!,
            MaxPositions = c.Int("max_position_embeddings", 1536),
            TypeVocabSize = c.Int("type_vocab_size", 2),
            LayerNormEps = c.Double("layer_norm_eps", 1e-12),
            RotaryValue = c.Bool("rotary_value", false),
            TieWordEmbeddings = c.Bool("tie_word_embeddings", true),
            PadTokenId = c.Json.ContainsKey("pad_token_id") ? c.IntOrNull("pad_token_id") : 0,
            InitializerRange = c.Double("initializer_range", 0.02),
            HiddenDropoutProb = c.Double("hidden_dropout_prob", 0.1),
            AttentionProbsDropoutProb = c.Double("attention_probs_dropout_prob", 0.1),
            BosTokenId = c.IntOrNull("bos_token_id"),
            EosTokenId = c.IntOrNull("eos_token_id"),
        };
        if (cfg.DModel % cfg.NHeads != 0)
            throw new InvalidDataException($"{c.Path}: hidden_size ({cfg.DModel}) must be a multiple of num_attention_heads ({cfg.NHeads})");
        if (cfg.DHead % 2 != 0)
            throw new InvalidDataException($"{c.Path}: the head dimension hidden_size / num_attention_heads = {cfg.DHead} must be even for rotary embeddings");
        if (cfg.TypeVocabSize < 1) throw new InvalidDataException($"{c.Path}: type_vocab_size must be ≥ 1, found {cfg.TypeVocabSize}");
        Nn.Activations.Get(cfg.HiddenAct, c.Path);
        return cfg with
        {
            Head = head,
            NumLabels = c.Object("id2label") is System.Text.Json.Nodes.JsonObject id2 ? id2.Count : c.Int("num_labels", 2),
        };
    }

    /// <summary>config.json as transformers' save_pretrained writes it (sorted keys, 2-space indent).</summary>
    public string ToJson() => JsonSerializer.Serialize(new SortedDictionary<string, object?>(StringComparer.Ordinal)
    {
        ["architectures"] = new[] { "RoFormerForMaskedLM" }, ["attention_probs_dropout_prob"] = AttentionProbsDropoutProb,
        ["bos_token_id"] = BosTokenId, ["embedding_size"] = DEmbed, ["eos_token_id"] = EosTokenId, ["hidden_act"] = HiddenAct,
        ["hidden_dropout_prob"] = HiddenDropoutProb, ["hidden_size"] = DModel, ["initializer_range"] = InitializerRange,
        ["intermediate_size"] = DMlp, ["layer_norm_eps"] = LayerNormEps, ["max_position_embeddings"] = MaxPositions,
        ["model_type"] = "roformer", ["num_attention_heads"] = NHeads, ["num_hidden_layers"] = NLayers,
        ["pad_token_id"] = PadTokenId, ["rotary_value"] = RotaryValue, ["tie_word_embeddings"] = TieWordEmbeddings,
        ["type_vocab_size"] = TypeVocabSize, ["use_cache"] = true, ["vocab_size"] = VocabSize,
    }, new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>Which output head a RoFormer checkpoint carries (from config.json "architectures").</summary>
public enum RoFormerHead { MaskedLm, TokenClassification, None }
