// Typed hook names whose string form is the TransformerLens name ("blocks.3.attn.hook_pattern"); each site's default shape.
namespace SharpLens.Hooks;

/// <summary>
/// A hook site inside a block (e.g. <c>attn.hook_pattern</c>) or at model level (e.g. <c>hook_embed</c>), with the shape
/// of its activation in the shape glossary (<c>[batch, pos, d_model]</c>; dims the config fixes are filled in by
/// <see cref="HookedModel.HookCatalog"/>). Two sites are equal when their path and level are: the shape is documentation.
/// </summary>
public readonly record struct HookSite(string Path, bool PerLayer, string Shape = "")
{
    /// <summary>Equal when path and level are (the shape is documentation).</summary>
    public bool Equals(HookSite other) => string.Equals(Path, other.Path, StringComparison.Ordinal) && PerLayer == other.PerLayer;
    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Path, PerLayer);
    /// <summary>The site path, e.g. <c>attn.hook_pattern</c>.</summary>
    public override string ToString() => Path;
}

/// <summary>The hook sites SharpLens knows, by TransformerLens name, each declared once with its default shape.</summary>
public static class Site
{
    const string Resid = "[batch, pos, d_model]", Scale = "[batch, pos, 1]", PerHead = "[batch, pos, head, d_head]",
        PerKvHead = "[batch, pos, kv_head, d_head]", Scores = "[batch, head, query_pos, key_pos]", Mlp = "[batch, pos, d_mlp]";

    // model level
    /// <summary>Token embeddings, before any position or type embedding is added.</summary>
    public static readonly HookSite Embed = new("hook_embed", false, Resid);
    /// <summary>Learned position embeddings (GPT-2, GPT-BigCode, RoBERTa).</summary>
    public static readonly HookSite PosEmbed = new("hook_pos_embed", false, Resid);
    /// <summary>Token-type (segment 0) embeddings of BERT-style encoders.</summary>
    public static readonly HookSite TokenTypeEmbed = new("hook_token_type_embed", false, Resid);
    /// <summary>The final norm's per-position scale (1/RMS or 1/std), for attribution through the norm.</summary>
    public static readonly HookSite LnFinalScale = new("ln_final.hook_scale", false, Scale);
    /// <summary>The final norm's output: what the unembedding reads.</summary>
    public static readonly HookSite LnFinalNormalized = new("ln_final.hook_normalized", false, Resid);
    /// <summary>The MLM head's transform output (dense, activation, LayerNorm): what its decoder reads.</summary>
    public static readonly HookSite LmHeadNormalized = new("lm_head.hook_normalized", false, Resid);
    // residual stream
    /// <summary>The residual stream entering block L.</summary>
    public static readonly HookSite ResidPre = new("hook_resid_pre", true, Resid);
    /// <summary>The residual stream after block L's attention, before its MLP.</summary>
    public static readonly HookSite ResidMid = new("hook_resid_mid", true, Resid);
    /// <summary>The residual stream leaving block L.</summary>
    public static readonly HookSite ResidPost = new("hook_resid_post", true, Resid);
    /// <summary>Block L's attention output, added to the residual stream.</summary>
    public static readonly HookSite AttnOut = new("hook_attn_out", true, Resid);
    /// <summary>Block L's MLP output, added to the residual stream.</summary>
    public static readonly HookSite MlpOut = new("hook_mlp_out", true, Resid);
    // norms
    /// <summary>The scale of the norm before attention (pre-norm) or after it (post-norm encoders).</summary>
    public static readonly HookSite Ln1Scale = new("ln1.hook_scale", true, Scale);
    /// <summary>The output of the norm before attention.</summary>
    public static readonly HookSite Ln1Normalized = new("ln1.hook_normalized", true, Resid);
    /// <summary>The scale of the norm before the MLP (pre-norm) or after it (post-norm encoders).</summary>
    public static readonly HookSite Ln2Scale = new("ln2.hook_scale", true, Scale);
    /// <summary>The output of the norm before the MLP.</summary>
    public static readonly HookSite Ln2Normalized = new("ln2.hook_normalized", true, Resid);
    // attention (keys and values have kv_head heads: fewer than head under grouped-query attention, equal otherwise)
    /// <summary>Queries per head, before rotary.</summary>
    public static readonly HookSite Q = new("attn.hook_q", true, PerHead);
    /// <summary>Keys per key/value head, before rotary.</summary>
    public static readonly HookSite K = new("attn.hook_k", true, PerKvHead);
    /// <summary>Values per key/value head.</summary>
    public static readonly HookSite V = new("attn.hook_v", true, PerKvHead);
    /// <summary>Queries after rotary position embedding.</summary>
    public static readonly HookSite RotQ = new("attn.hook_rot_q", true, PerHead);
    /// <summary>Keys after rotary position embedding.</summary>
    public static readonly HookSite RotK = new("attn.hook_rot_k", true, PerKvHead);
    /// <summary>Attention scores before softmax (masked entries hold the dtype's minimum).</summary>
    public static readonly HookSite AttnScores = new("attn.hook_attn_scores", true, Scores);
    /// <summary>Attention probabilities (softmax of the scores).</summary>
    public static readonly HookSite Pattern = new("attn.hook_pattern", true, Scores);
    /// <summary>Each head's pattern-weighted values, before the output projection.</summary>
    public static readonly HookSite Z = new("attn.hook_z", true, PerHead);
    /// <summary>Each head's contribution to attn_out (computed only when hooked); their sum plus the bias is attn_out.</summary>
    public static readonly HookSite Result = new("attn.hook_result", true, "[batch, pos, head, d_model]");
    // mlp
    /// <summary>The MLP's pre-activation (the gate projection in gated MLPs).</summary>
    public static readonly HookSite MlpPre = new("mlp.hook_pre", true, Mlp);
    /// <summary>The linear (up) projection of a gated MLP.</summary>
    public static readonly HookSite MlpPreLinear = new("mlp.hook_pre_linear", true, Mlp);
    /// <summary>The MLP's activation output, before its down projection.</summary>
    public static readonly HookSite MlpPost = new("mlp.hook_post", true, Mlp);
    // state-space mixers
    /// <summary>A state-space block's mixer output, added to the residual stream.</summary>
    public static readonly HookSite MixerOut = new("hook_mixer_out", true, Resid);

    /// <summary>Any site path with its shape (for architecture-specific sites such as <c>mixer.hook_dt</c>).</summary>
    public static HookSite Of(string path, string shape, bool perLayer = true) => new(path, perLayer, shape);
}

/// <summary>
/// A hook name: a site, plus a layer for per-layer sites. <see cref="ToString"/> gives the TransformerLens name.
/// </summary>
public readonly record struct HookName(HookSite Site, int? Layer)
{
    /// <summary>The name of a per-layer site at <paramref name="layer"/>; throws for a model-level site.</summary>
    public static HookName Of(HookSite site, int layer) => site.PerLayer
        ? new(site, layer)
        : throw new ArgumentException($"hook site '{site.Path}' is model-level; it takes no layer");
    /// <summary>The name of a model-level site; throws for a per-layer site.</summary>
    public static HookName Of(HookSite site) => !site.PerLayer
        ? new(site, null)
        : throw new ArgumentException($"hook site '{site.Path}' is per-layer; give a layer");

    /// <summary><c>hook_embed</c> (<see cref="Hooks.Site.Embed"/>).</summary>
    public static HookName Embed => Of(Hooks.Site.Embed);
    /// <summary><c>hook_pos_embed</c> (<see cref="Hooks.Site.PosEmbed"/>).</summary>
    public static HookName PosEmbed => Of(Hooks.Site.PosEmbed);
    /// <summary><c>ln_final.hook_normalized</c> (<see cref="Hooks.Site.LnFinalNormalized"/>).</summary>
    public static HookName LnFinalNormalized => Of(Hooks.Site.LnFinalNormalized);
    /// <summary><c>ln_final.hook_scale</c> (<see cref="Hooks.Site.LnFinalScale"/>).</summary>
    public static HookName LnFinalScale => Of(Hooks.Site.LnFinalScale);
    /// <summary><c>blocks.l.hook_resid_pre</c> (<see cref="Hooks.Site.ResidPre"/>).</summary>
    public static HookName ResidPre(int l) => Of(Hooks.Site.ResidPre, l);
    /// <summary><c>blocks.l.hook_resid_mid</c> (<see cref="Hooks.Site.ResidMid"/>).</summary>
    public static HookName ResidMid(int l) => Of(Hooks.Site.ResidMid, l);
    /// <summary><c>blocks.l.hook_resid_post</c> (<see cref="Hooks.Site.ResidPost"/>).</summary>
    public static HookName ResidPost(int l) => Of(Hooks.Site.ResidPost, l);
    /// <summary><c>blocks.l.hook_attn_out</c> (<see cref="Hooks.Site.AttnOut"/>).</summary>
    public static HookName AttnOut(int l) => Of(Hooks.Site.AttnOut, l);
    /// <summary><c>blocks.l.hook_mlp_out</c> (<see cref="Hooks.Site.MlpOut"/>).</summary>
    public static HookName MlpOut(int l) => Of(Hooks.Site.MlpOut, l);
    /// <summary><c>blocks.l.attn.hook_pattern</c> (<see cref="Hooks.Site.Pattern"/>).</summary>
    public static HookName Pattern(int l) => Of(Hooks.Site.Pattern, l);
    /// <summary><c>blocks.l.attn.hook_z</c> (<see cref="Hooks.Site.Z"/>).</summary>
    public static HookName Z(int l) => Of(Hooks.Site.Z, l);
    /// <summary><c>blocks.l.attn.hook_result</c> (<see cref="Hooks.Site.Result"/>).</summary>
    public static HookName Result(int l) => Of(Hooks.Site.Result, l);

    /// <summary>The TransformerLens name: <c>blocks.{layer}.{site}</c> or the site path.</summary>
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

    /// <summary>The TransformerLens name (<see cref="ToString"/>).</summary>
    public static implicit operator string(HookName name) => name.ToString();
}
