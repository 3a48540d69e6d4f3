// MambaForCausalLM config: the keys of transformers' MambaConfig, with its class defaults.
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Loading;

namespace SharpLens.Architectures.Mamba;

/// <summary>MambaConfig (Reference: transformers configuration_mamba.py). Derived values are properties.</summary>
public sealed record MambaConfig
{
    public required int VocabSize { get; init; }              // vocab_size
    public required int DModel { get; init; }                 // hidden_size
    public required int DState { get; init; }                 // state_size
    public required int NLayers { get; init; }                // num_hidden_layers
    public required int Expand { get; init; }                 // expand
    public required int DInner { get; init; }                 // intermediate_size (HF: int(expand · hidden_size))
    public required int DConv { get; init; }                  // conv_kernel
    public required int DtRank { get; init; }                 // time_step_rank ("auto" = ⌈hidden_size / 16⌉)
    public required bool UseBias { get; init; }               // use_bias (in_proj, out_proj)
    public required bool UseConvBias { get; init; }           // use_conv_bias
    public required string HiddenAct { get; init; }           // hidden_act
    public required double LayerNormEpsilon { get; init; }    // layer_norm_epsilon
    public required bool ResidualInFp32 { get; init; }        // residual_in_fp32
    public required bool TieWordEmbeddings { get; init; }     // tie_word_embeddings (class default true)
    public double InitializerRange { get; init; } = 0.1;      // initializer_range
    public double TimeStepScale { get; init; } = 1.0;         // time_step_scale
    public double TimeStepMin { get; init; } = 0.001;         // time_step_min
    public double TimeStepMax { get; init; } = 0.1;           // time_step_max
    public string TimeStepInitScheme { get; init; } = "random"; // time_step_init_scheme
    public double TimeStepFloor { get; init; } = 1e-4;        // time_step_floor
    public bool RescalePrenormResidual { get; init; }         // rescale_prenorm_residual
    public int PadTokenId { get; init; }                      // pad_token_id
    public int BosTokenId { get; init; }                      // bos_token_id
    public int EosTokenId { get; init; }                      // eos_token_id

    public static MambaConfig From(HfConfig c)
    {
        int d = c.Int("hidden_size", 768), expand = c.Int("expand", 2);
        int rank = c.Has("time_step_rank") && c.Json["time_step_rank"] is JsonValue v && v.TryGetValue<string>(out var s)
            ? s == "auto" ? (int)Math.Ceiling(d / 16.0) : throw new InvalidDataException($"{c.Path}: time_step_rank should be an integer or \"auto\", found \"{s}\"")
            : c.Int("time_step_rank", (int)Math.Ceiling(d / 16.0));
        c.RequireOneOf("time_step_init_scheme", "random", "constant");
        var cfg = new MambaConfig
        {
            VocabSize = c.Int("vocab_size", 50280),
            DModel = d,
            DState = c.Int("state_size", 16),
            NLayers = c.Int("num_hidden_layers", 32),
            Expand = expand,
            DInner = c.Int("intermediate_size", expand * d),
            DConv = c.Int("conv_kernel", 4),
            DtRank = rank,
            UseBias = c.Bool("use_bias", false),
            UseConvBias = c.Bool("use_conv_bias", true),
            HiddenAct = c.String("hidden_act", "silu")!,
            LayerNormEpsilon = c.Double("layer_norm_epsilon", 1e-5),
            ResidualInFp32 = c.Bool("residual_in_fp32", true),
            TieWordEmbeddings = c.Bool("tie_word_embeddings", true),
            InitializerRange = c.Double("initializer_range", 0.1),
            TimeStepScale = c.Double("time_step_scale", 1.0),
            TimeStepMin = c.Double("time_step_min", 0.001),
            TimeStepMax = c.Double("time_step_max", 0.1),
            TimeStepInitScheme = c.String("time_step_init_scheme", "random")!,
            TimeStepFloor = c.Double("time_step_floor", 1e-4),
            RescalePrenormResidual = c.Bool("rescale_prenorm_residual", false),
            PadTokenId = c.Int("pad_token_id", 0),
            BosTokenId = c.Int("bos_token_id", 0),
            EosTokenId = c.Int("eos_token_id", 0),
        };
        if (cfg.DModel <= 0 || cfg.DState <= 0 || cfg.DInner <= 0 || cfg.DConv <= 0 || cfg.DtRank <= 0 || cfg.NLayers < 0)
            throw new InvalidDataException($"{c.Path}: sizes must be positive (hidden_size {cfg.DModel}, state_size {cfg.DState}, " +
                $"intermediate_size {cfg.DInner}, conv_kernel {cfg.DConv}, time_step_rank {cfg.DtRank})");
        return cfg;
    }

    /// <summary>config.json as transformers writes it for MambaForCausalLM (every class hyper-parameter).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray("MambaForCausalLM"),
            ["bos_token_id"] = BosTokenId,
            ["conv_kernel"] = DConv,
            ["eos_token_id"] = EosTokenId,
            ["expand"] = Expand,
            ["hidden_act"] = HiddenAct,
            ["hidden_size"] = DModel,
            ["initializer_range"] = InitializerRange,
            ["intermediate_size"] = DInner,
            ["layer_norm_epsilon"] = LayerNormEpsilon,
            ["model_type"] = "mamba",
            ["num_hidden_layers"] = NLayers,
            ["pad_token_id"] = PadTokenId,
            ["rescale_prenorm_residual"] = RescalePrenormResidual,
            ["residual_in_fp32"] = ResidualInFp32,
            ["state_size"] = DState,
            ["time_step_floor"] = TimeStepFloor,
            ["time_step_init_scheme"] = TimeStepInitScheme,
            ["time_step_max"] = TimeStepMax,
            ["time_step_min"] = TimeStepMin,
            ["time_step_rank"] = DtRank,
            ["time_step_scale"] = TimeStepScale,
            ["torch_dtype"] = "float32",
            ["use_bias"] = UseBias,
            ["use_cache"] = true,
            ["use_conv_bias"] = UseConvBias,
            ["use_mambapy"] = false,
            ["vocab_size"] = VocabSize,
        };
        if (!TieWordEmbeddings) o["tie_word_embeddings"] = false;   // written only when it differs from the class default
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
