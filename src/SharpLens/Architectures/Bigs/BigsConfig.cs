// BiGS / CodeSSM config: the keys of jxiw/BiGS BiGSConfig (model_type "BiGS") with its class defaults, plus the
// optional CodeSSM-HF short-convolution keys.
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Loading;

namespace SharpLens.Architectures.Bigs;

/// <summary>Which output head a BiGS checkpoint carries (from config.json "architectures").</summary>
public enum BigsHead { MaskedLm, SequenceClassification, TokenClassification, None }

/// <summary>BiGSConfig (Reference: jxiw/BiGS BiGS/configuration_bigs.py). Derived values are properties.</summary>
public sealed record BigsConfig
{
    public required int VocabSize { get; init; }                 // vocab_size
    public required int DModel { get; init; }                    // hidden_size
    public required int NLayers { get; init; }                   // num_hidden_layers
    public required int DMlp { get; init; }                      // intermediate_size (dv, dol outputs)
    public required string HiddenAct { get; init; }              // hidden_act (MLM transform only; layers use erf GELU)
    public required int MaxPositions { get; init; }              // max_position_embeddings
    public required int TypeVocabSize { get; init; }             // type_vocab_size
    public required double LayerNormEps { get; init; }           // layer_norm_eps
    public required int NumSsm { get; init; }                    // num_ssm (N modes per kernel)
    public required string PositionEmbeddingType { get; init; }  // position_embedding_type: absolute | none
    public double InitializerRange { get; init; } = 0.02;        // initializer_range
    public double HiddenDropoutProb { get; init; } = 0.1;        // hidden_dropout_prob (inference: unused)
    public double? ClassifierDropout { get; init; }              // classifier_dropout
    public int PadTokenId { get; init; }                         // pad_token_id
    public bool PreNorm { get; init; } = true;                   // pre_norm (the PyTorch port is pre-norm regardless)
    public bool Decode { get; init; }                            // decode (unused by the PyTorch port)
    public string PoolerType { get; init; } = "non_padding_mean"; // pooler_type: mean | non_padding_mean
    public bool UsePykeopsKernel { get; init; }                  // use_pykeops_kernel (same maths; kept for round trips)
    public string? Scaling { get; init; }                        // scaling (written by BiGS trainers; kept for round trips)
    public int NumLabels { get; init; } = 2;                     // num_labels (len(id2label))
    public BigsHead Head { get; init; } = BigsHead.MaskedLm;     // from architectures[0]
    /// <summary>CodeSSM-HF: kernel size of the parallel short causal depthwise convolution (null: off).</summary>
    public int? ConvKernelSize { get; init; }                    // conv_kernel_size
    public string ConvPlacement { get; init; } = "parallel";     // conv_placement
    public string ConvMerge { get; init; } = "sum";              // conv_merge: sum | gate

    public bool HasConv => ConvKernelSize is > 0;

    public static BigsConfig From(HfConfig c)
    {
        c.RequireOneOf("position_embedding_type", "absolute", "none");
        c.RequireOneOf("pooler_type", "mean", "non_padding_mean");
        c.RequireOneOf("conv_placement", "parallel");
        c.RequireOneOf("conv_merge", "sum", "gate");
        var arch = c.FirstString("architectures") ?? "BiGSForMaskedLM";
        var head = arch switch
        {
            "BiGSForMaskedLM" => BigsHead.MaskedLm,
            "BiGSForSequenceClassification" => BigsHead.SequenceClassification,
            "BiGSForTokenClassification" => BigsHead.TokenClassification,
            "BiGSModel" => BigsHead.None,
            _ => throw new NotSupportedException($"{c.Path}: architectures[0] = {arch} is not supported (BiGSForMaskedLM, BiGSForSequenceClassification, BiGSForTokenClassification, BiGSModel are)"),
        };
        int labels = c.Object("id2label") is JsonObject id2 ? id2.Count : c.Int("num_labels", 2);
        var cfg = new BigsConfig
        {
            VocabSize = c.Int("vocab_size", 30522),
            DModel = c.Int("hidden_size", 768),
            NLayers = c.Int("num_hidden_layers", 24),
            DMlp = c.Int("intermediate_size", 3072),
            HiddenAct = c.String("hidden_act", "gelu")!,
            MaxPositions = c.Int("max_position_embeddings", 512),
            TypeVocabSize = c.Int("type_vocab_size", 2),
            LayerNormEps = c.Double("layer_norm_eps", 1e-12),
            NumSsm = c.Int("num_ssm", 64),
            PositionEmbeddingType = c.String("position_embedding_type", "absolute")!,
            InitializerRange = c.Double("initializer_range", 0.02),
            HiddenDropoutProb = c.Double("hidden_dropout_prob", 0.1),
            ClassifierDropout = c.Has("classifier_dropout") ? c.Double("classifier_dropout") : null,
            PadTokenId = c.Int("pad_token_id", 0),
            PreNorm = c.Bool("pre_norm", true),
            Decode = c.Bool("decode", false),
            PoolerType = c.String("pooler_type", "non_padding_mean")!,
            UsePykeopsKernel = c.Bool("use_pykeops_kernel", false),
            Scaling = c.String("scaling", null),
            NumLabels = labels,
            Head = head,
            ConvKernelSize = c.IntOrNull("conv_kernel_size"),
            ConvPlacement = c.String("conv_placement", "parallel")!,
            ConvMerge = c.String("conv_merge", "sum")!,
        };
        if (cfg.DModel <= 0 || cfg.DMlp <= 0 || cfg.NumSsm <= 0 || cfg.MaxPositions <= 0 || cfg.TypeVocabSize <= 0)
            throw new InvalidDataException($"{c.Path}: sizes must be positive (hidden_size {cfg.DModel}, intermediate_size {cfg.DMlp}, " +
                $"num_ssm {cfg.NumSsm}, max_position_embeddings {cfg.MaxPositions}, type_vocab_size {cfg.TypeVocabSize})");
        if (cfg.ConvKernelSize is < 0) throw new InvalidDataException($"{c.Path}: conv_kernel_size must be ≥ 1 (or absent), found {cfg.ConvKernelSize}");
        return cfg;
    }

    /// <summary>The HF architecture name of <see cref="Head"/>.</summary>
    public string ArchitectureName => Head switch
    {
        BigsHead.MaskedLm => "BiGSForMaskedLM",
        BigsHead.SequenceClassification => "BiGSForSequenceClassification",
        BigsHead.TokenClassification => "BiGSForTokenClassification",
        _ => "BiGSModel",
    };

    /// <summary>config.json with exactly the BiGSConfig keys (plus conv_* when the CodeSSM-HF path is on).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(ArchitectureName),
            ["classifier_dropout"] = ClassifierDropout,
            ["decode"] = Decode,
            ["hidden_act"] = HiddenAct,
            ["hidden_dropout_prob"] = HiddenDropoutProb,
            ["hidden_size"] = DModel,
            ["initializer_range"] = InitializerRange,
            ["intermediate_size"] = DMlp,
            ["layer_norm_eps"] = LayerNormEps,
            ["max_position_embeddings"] = MaxPositions,
            ["model_type"] = "BiGS",
            ["num_hidden_layers"] = NLayers,
            ["num_ssm"] = NumSsm,
            ["pad_token_id"] = PadTokenId,
            ["pooler_type"] = PoolerType,
            ["position_embedding_type"] = PositionEmbeddingType,
            ["pre_norm"] = PreNorm,
            ["torch_dtype"] = "float32",
            ["type_vocab_size"] = TypeVocabSize,
            ["use_cache"] = true,
            ["use_pykeops_kernel"] = UsePykeopsKernel,
            ["vocab_size"] = VocabSize,
        };
        if (Scaling is not null) o["scaling"] = Scaling;
        if (Head is BigsHead.SequenceClassification or BigsHead.TokenClassification)
        {
            var id2 = new JsonObject(); var l2i = new JsonObject();
            for (int i = 0; i < NumLabels; i++) { id2[i.ToString()] = $"LABEL_{i}"; l2i[$"LABEL_{i}"] = i; }
            o["id2label"] = id2; o["label2id"] = l2i;
        }
        if (HasConv)
        {
            o["conv_kernel_size"] = ConvKernelSize;
            o["conv_placement"] = ConvPlacement;
            o["conv_merge"] = ConvMerge;
        }
        return new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())))
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
