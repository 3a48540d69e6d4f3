// Per-prompt measurements over a last-position cache: outcome, logit lens, direct logit attribution, head projections, attention by role.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Parens;

/// <summary>The model's greedy prediction on one prompt (argmax over the full vocabulary).</summary>
public sealed record PromptOutcome(string Id, string Variant, int Depth, int Closed, int LabelId, int PredictedId, bool Correct,
    double LabelProb, double LogitDiff);

/// <summary>Logit lens at one site for one prompt: the correct token's probability and rank (1 = top), and label − counterfactual.</summary>
public sealed record LensPoint(string Id, int Depth, string Site, int Layer, double Prob, long Rank, double LogitDiff);

/// <summary>
/// Direct logit attribution of one prompt's final logit difference (label − counterfactual): every term is a component
/// of the final residual pushed through the final norm with the scale of the same run, dotted with W_U[label] − W_U[cf].
/// <see cref="Sum"/> of all terms equals <see cref="Actual"/> (the model's own logit difference) up to rounding.
/// </summary>
public sealed record DlaPrompt(string Id, int Depth, double Embed, double[] Attn, double[] AttnBias, double[] Mlp, double[][] Heads,
    double NormBias, double UnembedBias, double Sum, double Actual);

/// <summary>One prompt's per-head projections onto the paren tokens [layer][head][count−1] and attention to ")" tokens [layer][head].</summary>
public sealed record HeadParenPrompt(string Id, int Depth, int Closed, float[][][] Projection, float[][] AttentionToClose);

/// <summary>Attention of the final position grouped by <see cref="TokenRole"/>: [layer][head][role].</summary>
public sealed record RoleAttentionPrompt(string Id, int Depth, float[][][] ByRole);

/// <summary>Small functions from a <see cref="LastPositionCache"/> to per-prompt records.</summary>
public static class ParensMeasures
{
    /// <summary>Embedding sites whose sum is the residual stream before layer 0 (those the model fires).</summary>
    public static IReadOnlyList<HookName> EmbedHooks(HookedModel model) =>
        new[] { HookName.Embed, HookName.PosEmbed, HookName.Of(Site.TokenTypeEmbed) }.Where(n => Has(model, n)).ToList();

    static bool Has(HookedModel model, HookName name) => model.HookCatalog.Any(h => h.Name == name);

    /// <summary>
    /// Hooks every measurement below reads (at the last position only). Throws <see cref="NotSupportedException"/> up front
    /// when the model lacks one (e.g. a state-space model has no attention heads).
    /// </summary>
    public static IReadOnlyList<HookName> StudyHooks(HookedModel model)
    {
        var names = new List<HookName>(EmbedHooks(model));
        for (int l = 0; l < model.Info.NLayers; l++)
            names.AddRange([HookName.ResidPre(l), HookName.ResidPost(l), HookName.AttnOut(l), HookName.MlpOut(l), HookName.Result(l), HookName.Pattern(l)]);
        names.Add(HookName.LnFinalScale);
        var missing = names.Where(n => !Has(model, n)).Concat([HookName.Z(0)]).Where(n => !Has(model, n)).Select(n => n.ToString()).ToList();
        if (!names.Contains(HookName.Embed) || missing.Count > 0)
            throw new NotSupportedException($"the parens study needs attention heads and a final norm: expected hooks such as hook_embed, blocks.0.attn.hook_result, " +
                $"blocks.0.attn.hook_pattern, blocks.0.attn.hook_z, ln_final.hook_scale; {model.Info.Architecture} lacks {string.Join(", ", missing.Take(5))}");
        return names;
    }

    public static IReadOnlyList<PromptOutcome> Outcomes(LastPositionCache cache, PromptBatch batch)
    {
        using var _ = NewDisposeScope();
        var logits = cache.Logits;                                                           // [batch, d_vocab]
        var pred = logits.argmax(-1).data<long>().ToArray();
        var lp = logits.log_softmax(-1);
        var label = batch.LabelIds.unsqueeze(1);
        var prob = lp.gather(1, label).exp().squeeze(1).data<float>().ToArray();
        var diff = (logits.gather(1, label) - logits.gather(1, batch.CounterfactualIds.unsqueeze(1))).squeeze(1).data<float>().ToArray();
        return batch.Prompts.Select((p, b) => new PromptOutcome(p.Example.Id, p.Example.Variant, p.Depth, p.Closed, p.LabelId, (int)pred[b],
            pred[b] == p.LabelId, prob[b], diff[b])).ToList();
    }

    /// <summary>Logit lens: every layer's resid_pre and resid_post through the final norm (its own scale) and the unembedding.</summary>
    public static IReadOnlyList<LensPoint> LogitLens(LastPositionCache cache, Readout readout, int nLayers, PromptBatch batch)
    {
        using var _ = NewDisposeScope();
        var sites = new List<(string Site, int Layer, HookName Name)>();
        for (int l = 0; l < nLayers; l++) { sites.Add(("resid_pre", l, HookName.ResidPre(l))); sites.Add(("resid_post", l, HookName.ResidPost(l))); }
        var resid = stack(sites.Select(s => cache[s.Name]).ToArray(), 1);                   // [batch, site, d_model]
        var logits = readout.Logits(resid);                                                  // [batch, site, d_vocab]
        var label = batch.LabelIds.view(-1, 1, 1).expand(-1, sites.Count, 1);
        var cf = batch.CounterfactualIds.view(-1, 1, 1).expand(-1, sites.Count, 1);
        var labelLogit = logits.gather(2, label);                                            // [batch, site, 1]
        var prob = logits.log_softmax(-1).gather(2, label).exp().squeeze(2);
        var rank = logits.gt(labelLogit).sum(-1) + 1;                                        // [batch, site]
        var diff = (labelLogit - logits.gather(2, cf)).squeeze(2);
        var (pa, ra, da) = (prob.data<float>().ToArray(), rank.data<long>().ToArray(), diff.data<float>().ToArray());
        var result = new List<LensPoint>();
        for (int b = 0; b < batch.Prompts.Count; b++)
            for (int s = 0; s < sites.Count; s++)
            {
                int i = b * sites.Count + s;
                result.Add(new LensPoint(batch.Prompts[b].Example.Id, batch.Prompts[b].Depth, sites[s].Site, sites[s].Layer, pa[i], ra[i], da[i]));
            }
        return result;
    }

    /// <summary>
    /// The linear part of the final norm (centering for LayerNorm, division by the run's scale, weight) applied to
    /// components x [batch, …, d_model], dotted with per-row directions [batch, d_model] → [batch, …].
    /// </summary>
    public static Tensor Project(Readout readout, Tensor x, Tensor scale, Tensor directions)
    {
        var y = x.to(ScalarType.Float32);
        if (readout.Norm == NormKind.LayerNorm) y = y - y.mean([-1], keepdim: true);
        var s = scale.to(ScalarType.Float32);                                                // [batch, 1]
        while (s.dim() < y.dim()) s = s.unsqueeze(-1);
        if (readout.Norm != NormKind.None) y = y / s;
        if (readout.NormWeight is not null) y = y * readout.NormWeight.to(ScalarType.Float32);
        var d = directions.to(ScalarType.Float32);
        while (d.dim() < y.dim()) d = d.unsqueeze(1);
        return (y * d).sum(-1);
    }

    /// <summary>Direct logit attribution of label − counterfactual into embeddings, heads, per-layer o_proj bias, MLPs and biases.</summary>
    public static IReadOnlyList<DlaPrompt> Attribution(LastPositionCache cache, Readout readout, int nLayers, PromptBatch batch)
    {
        using var _ = NewDisposeScope();
        var wu = readout.WU;
        var dir = (wu.index_select(0, batch.LabelIds) - wu.index_select(0, batch.CounterfactualIds)).to(ScalarType.Float32); // [batch, d_model]
        var scale = cache[HookName.LnFinalScale];                                            // [batch, 1]
        double[] Row(Tensor t) => t.to(ScalarType.Float64).data<double>().ToArray();
        var embedSum = cache[HookName.Embed];                                                // token (+ position, token type) embeddings
        foreach (var n in new[] { HookName.PosEmbed, HookName.Of(Site.TokenTypeEmbed) }) if (cache.Contains(n)) embedSum = embedSum + cache[n];
        var embed = Row(Project(readout, embedSum, scale, dir));
        var attn = new double[nLayers][]; var bias = new double[nLayers][]; var mlp = new double[nLayers][]; var heads = new double[nLayers][][];
        for (int l = 0; l < nLayers; l++)
        {
            var result = cache[HookName.Result(l)];                                          // [batch, head, d_model]
            attn[l] = Row(Project(readout, cache[HookName.AttnOut(l)], scale, dir));
            bias[l] = Row(Project(readout, cache[HookName.AttnOut(l)] - result.sum(1), scale, dir));   // o_proj bias (0 for Llama)
            mlp[l] = Row(Project(readout, cache[HookName.MlpOut(l)], scale, dir));
            var h = Project(readout, result, scale, dir);                                    // [batch, head]
            heads[l] = Enumerable.Range(0, (int)h.shape[0]).Select(b => Row(h[b])).ToArray();
        }
        double normBias = 0;
        var nb = readout.NormBias is null ? null : Row((dir * readout.NormBias.to(ScalarType.Float32)).sum(-1));
        var ub = readout.BU is null ? null : Row(readout.BU.to(ScalarType.Float32).index_select(0, batch.LabelIds) - readout.BU.to(ScalarType.Float32).index_select(0, batch.CounterfactualIds));
        var actual = Row(cache.Logits.gather(1, batch.LabelIds.unsqueeze(1)) - cache.Logits.gather(1, batch.CounterfactualIds.unsqueeze(1)));
        var list = new List<DlaPrompt>();
        for (int b = 0; b < batch.Prompts.Count; b++)
        {
            double nbb = nb?[b] ?? normBias, ubb = ub?[b] ?? 0;
            var hb = Enumerable.Range(0, nLayers).Select(l => heads[l][b]).ToArray();
            double sum = embed[b] + nbb + ubb + Enumerable.Range(0, nLayers).Sum(l => hb[l].Sum() + bias[l][b] + mlp[l][b]);
            list.Add(new DlaPrompt(batch.Prompts[b].Example.Id, batch.Prompts[b].Depth, embed[b],
                attn.Select(a => a[b]).ToArray(), bias.Select(a => a[b]).ToArray(), mlp.Select(a => a[b]).ToArray(), hb, nbb, ubb, sum, actual[b]));
        }
        return list;
    }

    /// <summary>Each head's last-position output through the final norm (run's scale) onto the unembedding of the paren tokens, and its attention to ")" tokens.</summary>
    public static IReadOnlyList<HeadParenPrompt> HeadParens(LastPositionCache cache, Readout readout, int nLayers, PromptBatch batch, IReadOnlyList<int> parenIds)
    {
        using var _ = NewDisposeScope();
        var scale = cache[HookName.LnFinalScale];
        var wu = readout.WU.index_select(0, tensor(parenIds.Select(i => (long)i).ToArray())).to(ScalarType.Float32); // [count, d_model]
        int nb = batch.Prompts.Count;
        var proj = new float[nb][][][];
        var att = new float[nb][][];
        for (int b = 0; b < nb; b++) { proj[b] = new float[nLayers][][]; att[b] = new float[nLayers][]; }
        for (int l = 0; l < nLayers; l++)
        {
            var r = cache[HookName.Result(l)];                                               // [batch, head, d_model]
            var y = r / scale.unsqueeze(-1);
            if (readout.Norm == NormKind.LayerNorm) y = (r - r.mean([-1], keepdim: true)) / scale.unsqueeze(-1);
            if (readout.NormWeight is not null) y = y * readout.NormWeight.to(ScalarType.Float32);
            var p = y.matmul(wu.t());                                                         // [batch, head, count]
            var pattern = cache[HookName.Pattern(l)];                                        // [batch, head, key_pos]
            int nh = (int)p.shape[1], w = (int)pattern.shape[2];
            var pd = p.data<float>().ToArray(); var ad = pattern.data<float>().ToArray();
            for (int b = 0; b < nb; b++)
            {
                proj[b][l] = new float[nh][]; att[b][l] = new float[nh];
                var roles = batch.Prompts[b].Roles;
                for (int h = 0; h < nh; h++)
                {
                    proj[b][l][h] = pd.AsSpan((b * nh + h) * parenIds.Count, parenIds.Count).ToArray();
                    float s = 0;
                    for (int i = 0; i < roles.Length; i++) if (roles[i] == TokenRole.CloseParen) s += ad[(b * nh + h) * w + batch.Offset[b] + i];
                    att[b][l][h] = s;
                }
            }
        }
        return batch.Prompts.Select((p, b) => new HeadParenPrompt(p.Example.Id, p.Depth, p.Closed, proj[b], att[b])).ToList();
    }

    /// <summary>The final position's attention rows for each layer and head, per prompt: [layer][head][token] (padding dropped).</summary>
    public static float[][][][] AttentionRows(LastPositionCache cache, int nLayers, PromptBatch batch)
    {
        int nb = batch.Prompts.Count;
        var rows = new float[nb][][][];
        for (int b = 0; b < nb; b++) rows[b] = new float[nLayers][][];
        for (int l = 0; l < nLayers; l++)
        {
            var pattern = cache[HookName.Pattern(l)];                                        // [batch, head, key_pos]
            int nh = (int)pattern.shape[1], w = (int)pattern.shape[2];
            var ad = pattern.data<float>().ToArray();
            for (int b = 0; b < nb; b++)
            {
                int len = batch.Prompts[b].Ids.Length;
                rows[b][l] = Enumerable.Range(0, nh).Select(h => ad.AsSpan((b * nh + h) * w + batch.Offset[b], len).ToArray()).ToArray();
            }
        }
        return rows;
    }

    /// <summary>Attention from the final position summed per token role: [layer][head][role].</summary>
    public static IReadOnlyList<RoleAttentionPrompt> ByRole(float[][][][] rows, PromptBatch batch) =>
        batch.Prompts.Select((p, b) => new RoleAttentionPrompt(p.Example.Id, p.Depth, rows[b].Select(layer => layer.Select(row =>
        {
            var s = new float[Enum.GetValues<TokenRole>().Length];
            for (int i = 0; i < row.Length; i++) s[(int)p.Roles[i]] += row[i];
            return s;
        }).ToArray()).ToArray())).ToList();
}
