// Typed hook names whose string form is the TransformerLens name ("blocks.3.attn.hook_pattern"); each site's default shape.
namespace SharpLens.Hooks;

/// <summary>
/// A hook site inside a block (e.g. <c>attn.hook_pattern</c>) or at model level (e.g. <c>hook_embed</c>), with the shape
/// of its activation in the shape glossary (<c>[batch, pos, d_model]</c>; dims the config fixes are filled in by
/// <see cref="HookedModel.HookCatalog"/>). Two sites are equal when their path and level are: the shape is documentation.
/// </summary>
public readonly record struct HookSite(string Path, bool PerLayer, string Shape = "")
{
    public bool Equals(HookSite other) => string.Equals(Path, other.Path, StringComparison.Ordinal) && PerLayer == other.PerLayer;
    public override int GetHashCode() => HashCode.Combine(Path, PerLayer);
    public override string ToString() => Path;
}

/// <summary>The hook sites SharpLens knows, by TransformerLens name, each declared once with its default shape.</summary>
public static class Site
{
    const string Resid = "[batch, pos, d_model]", Scale = "[batch, pos, 1]", PerHead = "[batch, pos, head, d_head]",
        PerKvHead = "[batch, pos, kv_head, d_head]", Scores = "[batch, head, query_pos, key_pos]", Mlp = "[batch, pos, d_mlp]";

    // model level
    public static readonly HookSite Embed = new("hook_embed", false, Resid);
    public static readonly HookSite PosEmbed = new("hook_pos_embed", false, Resid);
    public static readonly HookSite TokenTypeEmbed = new("hook_token_type_embed", false, Resid);
    public static readonly HookSite LnFinalScale = new("ln_final.hook_scale", false, Scale);
    public static readonly HookSite LnFinalNormalized = new("ln_final.hook_normalized", false, Resid);
    public static readonly HookSite LmHeadNormalized = new("lm_head.hook_normalized", false, Resid);
    // residual stream
    public static readonly HookSite ResidPre = new("hook_resid_pre", true, Resid);
    public static readonly HookSite ResidMid = new("hook_resid_mid", true, Resid);
    public static readonly HookSite ResidPost = new("hook_resid_post", true, Resid);
    public static readonly HookSite AttnOut = new("hook_attn_out", true, Resid);
    public static readonly HookSite MlpOut = new("hook_mlp_out", true, Resid);
    // norms
    public static readonly HookSite Ln1Scale = new("ln1.hook_scale", true, Scale);
    public static readonly HookSite Ln1Normalized = new("ln1.hook_normalized", true, Resid);
    public static readonly HookSite Ln2Scale = new("ln2.hook_scale", true, Scale);
    public static readonly HookSite Ln2Normalized = new("ln2.hook_normalized", true, Resid);
    // attention (keys and values have kv_head heads: fewer than head under grouped-query attention, equal otherwise)
    public static readonly HookSite Q = new("attn.hook_q", true, PerHead);
    public static readonly HookSite K = new("attn.hook_k", true, PerKvHead);
    public static readonly HookSite V = new("attn.hook_v", true, PerKvHead);
    public static readonly HookSite RotQ = new("attn.hook_rot_q", true, PerHead);
    public static readonly HookSite RotK = new("attn.hook_rot_k", true, PerKvHead);
    public static readonly HookSite AttnScores = new("attn.hook_attn_scores", true, Scores);
    public static readonly HookSite Pattern = new("attn.hook_pattern", true, Scores);
    public static readonly HookSite Z = new("attn.hook_z", true, PerHead);
    public static readonly HookSite Result = new("attn.hook_result", true, "[batch, pos, head, d_model]");
    // mlp
    public static readonly HookSite MlpPre = new("mlp.hook_pre", true, Mlp);
    public static readonly HookSite MlpPreLinear = new("mlp.hook_pre_linear", true, Mlp);
    public static readonly HookSite MlpPost = new("mlp.hook_post", true, Mlp);
    // state-space mixers
    public static readonly HookSite MixerOut = new("hook_mixer_out", true, Resid);

    /// <summary>Any site path with its shape (for architecture-specific sites such as <c>mixer.hook_dt</c>).</summary>
    public static HookSite Of(string path, string shape, bool perLayer = true) => new(path, perLayer, shape);
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
