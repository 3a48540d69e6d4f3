// Typed hook names whose string form is the TransformerLens name ("blocks.3.attn.hook_pattern").
namespace SharpLens.Hooks;

/// <summary>
/// A hook site inside a block (e.g. <c>attn.hook_pattern</c>) or at model level (e.g. <c>hook_embed</c>).
/// </summary>
public readonly record struct HookSite(string Path, bool PerLayer)
{
    public override string ToString() => Path;
}

/// <summary>The hook sites SharpLens knows, by TransformerLens name.</summary>
public static class Site
{
    // model level
    public static readonly HookSite Embed = new("hook_embed", false);
    public static readonly HookSite PosEmbed = new("hook_pos_embed", false);
    public static readonly HookSite TokenTypeEmbed = new("hook_token_type_embed", false);
    public static readonly HookSite LnFinalScale = new("ln_final.hook_scale", false);
    public static readonly HookSite LnFinalNormalized = new("ln_final.hook_normalized", false);
    public static readonly HookSite LmHeadNormalized = new("lm_head.hook_normalized", false);
    // residual stream
    public static readonly HookSite ResidPre = new("hook_resid_pre", true);
    public static readonly HookSite ResidMid = new("hook_resid_mid", true);
    public static readonly HookSite ResidPost = new("hook_resid_post", true);
    public static readonly HookSite AttnOut = new("hook_attn_out", true);
    public static readonly HookSite MlpOut = new("hook_mlp_out", true);
    // norms
    public static readonly HookSite Ln1Scale = new("ln1.hook_scale", true);
    public static readonly HookSite Ln1Normalized = new("ln1.hook_normalized", true);
    public static readonly HookSite Ln2Scale = new("ln2.hook_scale", true);
    public static readonly HookSite Ln2Normalized = new("ln2.hook_normalized", true);
    // attention
    public static readonly HookSite Q = new("attn.hook_q", true);
    public static readonly HookSite K = new("attn.hook_k", true);
    public static readonly HookSite V = new("attn.hook_v", true);
    public static readonly HookSite RotQ = new("attn.hook_rot_q", true);
    public static readonly HookSite RotK = new("attn.hook_rot_k", true);
    public static readonly HookSite AttnScores = new("attn.hook_attn_scores", true);
    public static readonly HookSite Pattern = new("attn.hook_pattern", true);
    public static readonly HookSite Z = new("attn.hook_z", true);
    public static readonly HookSite Result = new("attn.hook_result", true);
    // mlp
    public static readonly HookSite MlpPre = new("mlp.hook_pre", true);
    public static readonly HookSite MlpPreLinear = new("mlp.hook_pre_linear", true);
    public static readonly HookSite MlpPost = new("mlp.hook_post", true);
    // state-space mixers
    public static readonly HookSite MixerOut = new("hook_mixer_out", true);

    /// <summary>Any site path (for architecture-specific sites such as <c>mixer.hook_dt</c>).</summary>
    public static HookSite Of(string path, bool perLayer = true) => new(path, perLayer);
}

/// <summary>
/// A hook name: a site, plus a layer for per-layer sites. <see cref="ToString"/> gives the TransformerLens name.
/// </summary>
public readonly record struct HookName(HookSite Site, int? Layer)
{
    public static HookName Of(HookSite site, int layer) => site.PerLayer
        ? new(site, layer)
        : throw new ArgumentException($"hook site '{site.Path}' is model-level; it takes no layer");
    public static HookName Of(HookSite site) => !site.PerLayer
        ? new(site, null)
        : throw new ArgumentException($"hook site '{site.Path}' is per-layer; give a layer");

    public static HookName Embed => Of(Hooks.Site.Embed);
    public static HookName PosEmbed => Of(Hooks.Site.PosEmbed);
    public static HookName LnFinalNormalized => Of(Hooks.Site.LnFinalNormalized);
    public static HookName LnFinalScale => Of(Hooks.Site.LnFinalScale);
    public static HookName ResidPre(int l) => Of(Hooks.Site.ResidPre, l);
    public static HookName ResidMid(int l) => Of(Hooks.Site.ResidMid, l);
    public static HookName ResidPost(int l) => Of(Hooks.Site.ResidPost, l);
    public static HookName AttnOut(int l) => Of(Hooks.Site.AttnOut, l);
    public static HookName MlpOut(int l) => Of(Hooks.Site.MlpOut, l);
    public static HookName Pattern(int l) => Of(Hooks.Site.Pattern, l);
    public static HookName Z(int l) => Of(Hooks.Site.Z, l);
    public static HookName Result(int l) => Of(Hooks.Site.Result, l);

    public override string ToString() => Layer is int l ? $"blocks.{l}.{Site.Path}" : Site.Path;

    /// <summary>Parses a TransformerLens-style name syntactically (whether a model has it is checked by the model).</summary>
    public static HookName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("blocks.", StringComparison.Ordinal))
        {
            int dot = text.IndexOf('.', 7);
            if (dot < 0 || !int.TryParse(text.AsSpan(7, dot - 7), out int layer) || layer < 0 || dot == text.Length - 1)
                throw new FormatException($"hook name '{text}' is not of the form blocks.<layer>.<site>");
            return new HookName(new HookSite(text[(dot + 1)..], true), layer);
        }
        if (text.Length == 0) throw new FormatException("hook name is empty");
        return new HookName(new HookSite(text, false), null);
    }

    public static implicit operator string(HookName name) => name.ToString();
}
