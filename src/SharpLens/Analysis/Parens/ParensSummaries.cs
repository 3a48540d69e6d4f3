// Per-prompt records → per-depth summaries: accuracy, logit lens, attribution, attention by role, counting heads, ablation.
namespace SharpLens.Analysis.Parens;

/// <summary>Aggregations of the per-prompt measurements (Depth 0 in a row means all depths together).</summary>
internal static class ParensSummaries
{
    static IEnumerable<(int Depth, List<T> Items)> ByDepth<T>(IEnumerable<T> items, Func<T, int> depth)
    {
        var list = items.ToList();
        foreach (var g in list.GroupBy(depth).OrderBy(g => g.Key)) yield return (g.Key, g.ToList());
        yield return (0, list);
    }

    public static IReadOnlyList<AccuracyRow> Accuracy(IEnumerable<PromptOutcome> outcomes) =>
        outcomes.GroupBy(o => o.Variant).SelectMany(v => ByDepth(v, o => o.Depth).Select(g =>
        {
            var (m, lo, hi) = Stats.MeanCi(g.Items.Select(o => o.LogitDiff));
            int c = g.Items.Count(o => o.Correct);
            return new AccuracyRow(v.Key, g.Depth, g.Items.Count, c, (double)c / g.Items.Count, g.Items.Average(o => o.LabelProb), m, lo, hi);
        })).ToList();

    public static IReadOnlyList<LensRow> Lens(IEnumerable<LensPoint> points) =>
        ByDepth(points, p => p.Depth).SelectMany(g => g.Items.GroupBy(p => (p.Layer, p.Site)).OrderBy(s => s.Key.Layer).ThenBy(s => s.Key.Site == "resid_post")
            .Select(s =>
            {
                var (pm, plo, phi) = Stats.MeanCi(s.Select(p => p.Prob));
                var (dm, dlo, dhi) = Stats.MeanCi(s.Select(p => p.LogitDiff));
                return new LensRow(g.Depth, s.Key.Site, s.Key.Layer, s.Count(), pm, plo, phi, s.Average(p => (double)p.Rank),
                    s.Count(p => p.Rank == 1) / (double)s.Count(), dm, dlo, dhi);
            })).ToList();

    /// <summary>Sites in forward order: resid_pre 0, then resid_post of every layer.</summary>
    static int Order(LensPoint p) => p.Site == "resid_pre" ? (p.Layer == 0 ? 0 : -1) : p.Layer + 1;

    public static IReadOnlyList<FirstTop1Row> FirstTop1(IEnumerable<LensPoint> points, IReadOnlyList<LensRow> lens) =>
        ByDepth(points, p => p.Depth).Select(g =>
        {
            var first = lens.Where(r => r.Depth == g.Depth && (r.Site == "resid_post" || r.Layer == 0))
                .OrderBy(r => r.Site == "resid_pre" ? 0 : r.Layer + 1).FirstOrDefault(r => r.Top1Fraction > 0.5);
            var perPrompt = g.Items.Where(p => Order(p) >= 0).GroupBy(p => p.Id)
                .Select(pp => pp.OrderBy(Order).FirstOrDefault(p => p.Rank == 1)).ToList();
            var reached = perPrompt.Where(p => p is not null).Select(p => (double)(Order(p!) - 1)).ToList();
            return new FirstTop1Row(g.Depth, first?.Site, first?.Layer, first?.Top1Fraction ?? double.NaN,
                reached.Count == 0 ? double.NaN : reached.Average(), perPrompt.Count(p => p is null));
        }).ToList();

    public static IReadOnlyList<DlaSummary> DlaSummaries(IEnumerable<DlaPrompt> dla) =>
        ByDepth(dla, d => d.Depth).Select(g => new DlaSummary(g.Depth, g.Items.Count, g.Items.Average(d => d.Embed), g.Items.Average(d => d.NormBias),
            g.Items.Average(d => d.UnembedBias), g.Items.Average(d => d.Attn.Sum()), g.Items.Average(d => d.Mlp.Sum()),
            g.Items.Average(d => d.Sum), g.Items.Average(d => d.Actual), g.Items.Max(d => Math.Abs(d.Sum - d.Actual)))).ToList();

    public static IReadOnlyList<DlaLayerRow> DlaLayers(IEnumerable<DlaPrompt> dla, int nLayers) =>
        ByDepth(dla, d => d.Depth).SelectMany(g => Enumerable.Range(0, nLayers).Select(l =>
        {
            var a = Stats.MeanCi(g.Items.Select(d => d.Attn[l]));
            var m = Stats.MeanCi(g.Items.Select(d => d.Mlp[l]));
            return new DlaLayerRow(g.Depth, l, a.Mean, a.Lo, a.Hi, g.Items.Average(d => d.AttnBias[l]), m.Mean, m.Lo, m.Hi);
        })).ToList();

    public static IReadOnlyList<DlaHeadRow> DlaHeads(IEnumerable<DlaPrompt> dla, int nLayers, int nHeads) =>
        ByDepth(dla, d => d.Depth).SelectMany(g => Enumerable.Range(0, nLayers).SelectMany(l => Enumerable.Range(0, nHeads).Select(h =>
        {
            var s = Stats.MeanCi(g.Items.Select(d => d.Heads[l][h]));
            return new DlaHeadRow(g.Depth, l, h, s.Mean, s.Lo, s.Hi);
        }))).ToList();

    /// <summary>Attention by role for the <paramref name="top"/> heads by |mean attribution| over all depths.</summary>
    public static IReadOnlyList<RoleAttentionRow> RoleAttention(IReadOnlyList<RoleAttentionPrompt> roles, IReadOnlyList<DlaHeadRow> heads, int top) =>
        heads.Where(h => h.Depth == 0).OrderByDescending(h => Math.Abs(h.Mean)).Take(top).Select(h =>
        {
            double R(TokenRole r) => roles.Count == 0 ? double.NaN : roles.Average(p => p.ByRole[h.Layer][h.Head][(int)r]);
            return new RoleAttentionRow(h.Layer, h.Head, h.Mean, R(TokenRole.OpenParen), R(TokenRole.CloseParen), R(TokenRole.Str),
                R(TokenRole.Digits), R(TokenRole.Print), R(TokenRole.Other));
        }).ToList();

    /// <summary>
    /// Ranks heads as counting heads on the already-closed prompts. <paramref name="parenDepths"/>[i] is the count whose
    /// token is column i of the projections. Score = max(correct rate, closed rate) · |corr(attention to ")", c)|.
    /// </summary>
    public static IReadOnlyList<CountingHeadRow> CountingHeads(IReadOnlyList<HeadParenPrompt> prompts, IReadOnlyList<int> parenDepths)
    {
        if (prompts.Count == 0) return [];
        int nl = prompts[0].Projection.Length, nh = prompts[0].Projection[0].Length;
        var rows = new List<CountingHeadRow>();
        for (int l = 0; l < nl; l++)
            for (int h = 0; h < nh; h++)
            {
                int correct = 0, closedTop = 0, closedN = 0;
                foreach (var p in prompts)
                {
                    var v = p.Projection[l][h];
                    int best = 0;
                    for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
                    if (parenDepths[best] == p.Depth) correct++;
                    if (p.Closed != p.Depth && parenDepths.Contains(p.Closed)) { closedN++; if (parenDepths[best] == p.Closed) closedTop++; }
                }
                double cr = correct / (double)prompts.Count, kr = closedN == 0 ? double.NaN : closedTop / (double)closedN;
                double corr = Stats.Pearson(prompts.Select(p => (double)p.AttentionToClose[l][h]).ToList(), prompts.Select(p => (double)p.Closed).ToList());
                double score = Math.Max(cr, double.IsNaN(kr) ? 0 : kr) * (double.IsNaN(corr) ? 0 : Math.Abs(corr));
                string verdict = cr >= 0.5 && (double.IsNaN(kr) || cr > kr) ? "helps: promotes the missing count"
                    : kr >= 0.5 && kr > cr ? "misleads: promotes the closed count" : "neither";
                rows.Add(new CountingHeadRow(0, l, h, prompts.Count, cr, kr, prompts.Average(p => p.AttentionToClose[l][h]), corr, score, verdict));
            }
        return rows.OrderByDescending(r => r.Score).ThenByDescending(r => Math.Max(r.CorrectRate, double.IsNaN(r.ClosedRate) ? 0 : r.ClosedRate))
            .Select((r, i) => r with { Rank = i + 1 }).ToList();
    }

    /// <summary>Ablation effects per target, mode and depth against the clean outcomes of the same prompts.</summary>
    public static IReadOnlyList<AblationRow> Ablation(IReadOnlyDictionary<string, PromptOutcome> clean,
        IEnumerable<(AblationTarget Target, string Mode, IReadOnlyList<AblatedPrompt> Prompts)> runs) =>
        runs.SelectMany(run => ByDepth(run.Prompts, p => p.Depth).Select(g =>
        {
            double acc = g.Items.Count(p => p.Correct) / (double)g.Items.Count;
            double baseAcc = g.Items.Count(p => clean[p.Id].Correct) / (double)g.Items.Count;
            double diff = g.Items.Average(p => p.LogitDiff), baseDiff = g.Items.Average(p => clean[p.Id].LogitDiff);
            return new AblationRow(run.Target.ToString(), run.Target.Kind, run.Target.Layer, run.Target.Head, run.Mode, g.Depth, g.Items.Count,
                acc, acc - baseAcc, diff, diff - baseDiff, acc > baseAcc);
        })).ToList();
}
