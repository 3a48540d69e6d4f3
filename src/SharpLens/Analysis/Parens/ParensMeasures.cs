// Per-prompt measurements over a last-position cache, on the general analyses: outcome, logit lens, attribution, head projections, attention by role.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Parens;

/// <summary>The model's greedy prediction on one prompt (argmax over the full vocabulary).</summary>
public sealed record PromptOutcome(string Id, string Variant, int Depth, int Closed, int LabelId, int PredictedId, bool Correct,
    double LabelProb, double LogitDiff);

/// <summary>Logit lens at one site for one prompt: the correct token's probability and rank (1 = top), and label − counterfactual.</summary>
public sealed record LensPoint(string Id, int Depth, string Site, int Layer, double Prob, long Rank, double LogitDiff);

/// <summary>Direct logit attribution of one prompt's final logit difference (label − counterfactual); see <see cref="Analysis.Attribution"/>.</summary>
public sealed record DlaPrompt(string Id, int Depth, double Embed, double[] Attn, double[] AttnBias, double[] Mlp, double[][] Heads,
    double NormBias, double UnembedBias, double Sum, double Actual);

/// <summary>One prompt's per-head projections onto the paren tokens [layer][head][count−1] and attention to ")" tokens [layer][head].</summary>
public sealed record HeadParenPrompt(string Id, int Depth, int Closed, float[][][] Projection, float[][] AttentionToClose);

/// <summary>Attention of the final position grouped by <see cref="TokenRole"/>: [layer][head][role].</summary>
public sealed record RoleAttentionPrompt(string Id, int Depth, float[][][] ByRole);

/// <summary>Small functions from a <see cref="LastPositionCache"/> to per-prompt records.</summary>
internal static class ParensMeasures
{
    static bool Has(HookedModel model, HookName name) => model.HookCatalog.Any(h => h.Name == name);

    /// <summary>
    /// Hooks every measurement below reads (at the last position only): those of <see cref="LogitAttribution.Hooks"/>
    /// plus resid_pre/resid_post and hook_pattern. Throws <see cref="NotSupportedException"/> up front when the model
    /// lacks one (e.g. a state-space model has no attention heads).
    /// </summary>
    public static IReadOnlyList<HookName> StudyHooks(HookedModel model)
    {
        var names = new List<HookName>(LogitAttribution.Hooks(model));
        for (int l = 0; l < model.Info.NLayers; l++) names.AddRange([HookName.ResidPre(l), HookName.ResidPost(l), HookName.Pattern(l)]);
        var missing = names.Append(HookName.Z(0)).Where(n => !Has(model, n)).Select(n => n.ToString()).ToList();
        if (missing.Count > 0)
            throw new NotSupportedException($"the parens study needs attention patterns and hook_z: {model.Info.Architecture} lacks {string.Join(", ", missing.Take(5))}");
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

    /// <summary>Logit lens (<see cref="Analysis.LogitLens"/>): every layer's resid_pre and resid_post through the model's final norm and the unembedding.</summary>
    public static IReadOnlyList<LensPoint> LogitLens(LastPositionCache cache, Readout readout, int nLayers, PromptBatch batch)
    {
        using var _ = NewDisposeScope();
        var sites = new List<(string Site, int Layer, HookName Name)>();
        for (int l = 0; l < nLayers; l++) { sites.Add(("resid_pre", l, HookName.ResidPre(l))); sites.Add(("resid_post", l, HookName.ResidPost(l))); }
        var resid = stack(sites.Select(s => cache[s.Name]).ToArray(), 1);                   // [batch, site, d_model]
        using var scores = Analysis.LogitLens.Score(readout, resid, batch.LabelIds.view(-1, 1).expand(-1, sites.Count),
            batch.CounterfactualIds.view(-1, 1).expand(-1, sites.Count));                   // [batch, site]
        var (pa, ra, da) = (scores.Prob.data<float>().ToArray(), scores.Rank.data<long>().ToArray(), scores.LogitDiff.data<float>().ToArray());
        var result = new List<LensPoint>();
        for (int b = 0; b < batch.Prompts.Count; b++)
            for (int s = 0; s < sites.Count; s++)
            {
                int i = b * sites.Count + s;
                result.Add(new LensPoint(batch.Prompts[b].Example.Id, batch.Prompts[b].Depth, sites[s].Site, sites[s].Layer, pa[i], ra[i], da[i]));
            }
        return result;
    }

    /// <summary>Direct logit attribution (<see cref="LogitAttribution"/>) of label − counterfactual at each prompt's last position.</summary>
    public static IReadOnlyList<DlaPrompt> Attribution(LastPositionCache cache, Readout readout, int nLayers, PromptBatch batch) =>
        LogitAttribution.Run(n => cache.Contains(n) ? cache[n] : null, cache.Logits, readout, nLayers, batch.LabelIds, batch.CounterfactualIds)
            .Select((a, b) => new DlaPrompt(batch.Prompts[b].Example.Id, batch.Prompts[b].Depth, a.Embed, a.Attn, a.AttnBias, a.Mlp, a.Heads,
                a.NormBias, a.UnembedBias, a.Sum, a.Actual)).ToList();

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
            var y = readout.Linear(r, scale.unsqueeze(-1));                                  // the final norm's linear part, run's scale
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
        var lengths = batch.Prompts.Select(p => p.Ids.Length).ToList();
        var perLayer = Enumerable.Range(0, nLayers).Select(l => AttentionSummary.Rows(cache[HookName.Pattern(l)], batch.Offset, lengths)).ToArray();
        return Enumerable.Range(0, batch.Prompts.Count).Select(b => perLayer.Select(layer => layer[b]).ToArray()).ToArray();
    }

    /// <summary>Attention from the final position summed per token role: [layer][head][role].</summary>
    public static IReadOnlyList<RoleAttentionPrompt> ByRole(float[][][][] rows, PromptBatch batch) =>
        batch.Prompts.Select((p, b) => new RoleAttentionPrompt(p.Example.Id, p.Depth, rows[b].Select(layer => layer.Select(row =>
            AttentionSummary.ByClass(row, p.Roles.Select(r => (int)r).ToList(), Enum.GetValues<TokenRole>().Length)).ToArray()).ToArray())).ToList();
}
