// The original state-spaces (mamba_ssm MambaLMHeadModel) config.json, translated to HF MambaConfig keys.
// Reference: mamba_ssm/models/config_mamba.py (MambaConfig) and mixer_seq_simple.py (vocab padding, tied embeddings).
using System.Text.Json.Nodes;
using SharpLens.Loading;

namespace SharpLens.Architectures.Mamba;

/// <summary>
/// mamba_ssm writes <c>{"d_model", "n_layer", "vocab_size", "ssm_cfg", "rms_norm", "residual_in_fp32",
/// "fused_add_norm", "pad_vocab_size_multiple", "tie_embeddings"}</c> and no model_type. The embedding is padded to a
/// multiple of pad_vocab_size_multiple (default 8). Only Mamba-1 with RMSNorm is supported.
/// </summary>
public static class StateSpacesConfig
{
    /// <summary>Whether a config without model_type looks like mamba_ssm's.</summary>
    public static bool Matches(HfConfig c) => !c.Has("model_type") && c.Has("d_model") && c.Has("n_layer");

    public static HfConfig ToHf(HfConfig c)
    {
        var ssm = c.Object("ssm_cfg") ?? new JsonObject();
        var layer = c.StringIn(ssm, "ssm_cfg", "layer") ?? "Mamba1";
        if (layer != "Mamba1") throw new NotSupportedException($"{c.Path}: ssm_cfg.layer {layer} is not supported (Mamba1 is)");
        if (!c.Bool("rms_norm", true)) throw new NotSupportedException($"{c.Path}: rms_norm false (LayerNorm blocks) is not supported");
        int vocab = c.Int("vocab_size", 50277), multiple = c.Int("pad_vocab_size_multiple", 8);
        if (multiple > 0 && vocab % multiple != 0) vocab += multiple - vocab % multiple;
        var hf = new JsonObject
        {
            ["model_type"] = "mamba",
            ["hidden_size"] = c.Int("d_model"),
            ["num_hidden_layers"] = c.Int("n_layer"),
            ["vocab_size"] = vocab,
            ["state_size"] = c.IntIn(ssm, "ssm_cfg", "d_state") ?? 16,
            ["conv_kernel"] = c.IntIn(ssm, "ssm_cfg", "d_conv") ?? 4,
            ["expand"] = c.IntIn(ssm, "ssm_cfg", "expand") ?? 2,
            ["time_step_rank"] = ssm["dt_rank"]?.DeepClone() ?? "auto",
            ["use_bias"] = c.BoolIn(ssm, "ssm_cfg", "bias") ?? false,
            ["use_conv_bias"] = c.BoolIn(ssm, "ssm_cfg", "conv_bias") ?? true,
            ["residual_in_fp32"] = c.Bool("residual_in_fp32", true),
            ["tie_word_embeddings"] = c.Bool("tie_embeddings", true),
            ["layer_norm_epsilon"] = 1e-5,
        };
        return HfConfig.FromJson(hf.ToJsonString(), c.Path + " (state-spaces)");
    }
}
