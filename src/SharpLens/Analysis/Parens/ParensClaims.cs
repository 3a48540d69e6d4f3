// The paper's claims (docs: STUDIES.md, Study 1) side by side with what the measured model does, judged by stated rules.
namespace SharpLens.Analysis.Parens;

/// <summary>Compares a study result with Miller, Rai, Yao (2025) on CodeLlama-7b. Each verdict's rule is in its text.</summary>
internal static class ParensClaims
{
    static readonly Dictionary<int, double> PaperAccuracy = new() { [1] = 0.99, [2] = 1.00, [3] = 0.98, [4] = 0.87 };

    public static IReadOnlyList<ClaimRow> Compare(ParensStudyResult r)
    {
        var rows = new List<ClaimRow>();
        int nl = r.Info.NLayers;
        var acc = r.Accuracy.Where(a => a.Variant != "closed" && a.Depth > 0).OrderBy(a => a.Depth).ToList();
        string paperAcc = "CodeLlama-7b greedy accuracy " + string.Join(" / ", PaperAccuracy.Select(kv => $"d{kv.Key} {kv.Value:P0}"));
        string ours = string.Join(" / ", acc.Select(a => $"d{a.Depth} {a.Accuracy:P0} (n={a.N})"));
        var shared = acc.Where(a => PaperAccuracy.ContainsKey(a.Depth)).ToList();
        double gap = shared.Count == 0 ? double.NaN : shared.Max(a => Math.Abs(a.Accuracy - PaperAccuracy[a.Depth]));
        rows.Add(new ClaimRow("accuracy per depth", paperAcc + "; accuracy falls at depth 4", ours,
            double.IsNaN(gap) ? "n/a (no shared depths)" : gap <= 0.10 ? "similar (within 10 points at every depth)" : $"differs (largest gap {gap * 100:F0} points)"));

        var ft = r.FirstTop1.Where(f => f.Depth > 0).ToList();
        string ftText = string.Join("; ", ft.Select(f => f.Layer is int l ? $"d{f.Depth}: {f.Site} {l} of {nl}" : $"d{f.Depth}: never top-1 for most prompts"));
        bool late = ft.Count > 0 && ft.All(f => f.Layer is int l && l >= 0.4 * nl);
        bool never = ft.All(f => f.Layer is null);
        rows.Add(new ClaimRow("where the answer appears (logit lens)", "the right closing run becomes confident only in middle-to-late layers",
            "first site where most prompts rank the answer top-1 — " + ftText,
            never ? "not comparable (the answer never becomes top-1)" : late ? "agrees (every depth at layer ≥ 40% of depth)" : "differs (some depth is top-1 before 40% of the layers)"));

        var all = r.DlaSummary.FirstOrDefault(s => s.Depth == 0);
        // per depth, then summed: the counterfactual's direction can differ by depth (one fewer ")" where one more is split)
        var abl = r.Ablation.Where(a => a.Depth > 0 && a.Mode == "mean" && a.Kind != "head").ToList();
        double attnAbl = abl.Where(a => a.Kind == "attn").Sum(a => Math.Abs(a.DeltaLogitDiff)), mlpAbl = abl.Where(a => a.Kind == "mlp").Sum(a => Math.Abs(a.DeltaLogitDiff));
        double attnDla = r.DlaLayers.Where(d => d.Depth > 0).Sum(d => Math.Abs(d.Attn)), mlpDla = r.DlaLayers.Where(d => d.Depth > 0).Sum(d => Math.Abs(d.Mlp));
        string both = $"Σ over depths and layers of |mean DLA|: attention {attnDla:F2} vs MLP {mlpDla:F2}; of |Δ logit diff| under mean-ablation: attention {attnAbl:F2} vs MLP {mlpAbl:F2}" +
            (all is null ? "" : $"; mean attribution attention {all.TotalAttn:F2}, MLP {all.TotalMlp:F2}");
        int votes = (attnDla > mlpDla ? 1 : 0) + (attnAbl > mlpAbl ? 1 : 0);
        rows.Add(new ClaimRow("attention vs MLP", "both sub-layers matter; attention more", both,
            votes == 2 ? "agrees (attention larger by both measures)" : votes == 1 ? "mixed (attention larger by one measure)" : "differs (MLP larger by both measures)"));

        var top = r.CountingHeads.FirstOrDefault();
        var trackers = r.CountingHeads.Where(c => Math.Abs(c.CorrAttnClosed) >= 0.5 && (c.CorrectRate >= 0.5 || c.ClosedRate >= 0.5)).ToList();
        rows.Add(new ClaimRow("counting heads", "some heads keep exact track of how many parens are already closed",
            top is null ? "no already-closed prompts were analysed" :
            $"{trackers.Count} heads with |corr(attention to ')', c)| ≥ 0.5 whose paren projection is right or closed-count on ≥ 50% of prompts; top: L{top.Layer}H{top.Head} (corr {top.CorrAttnClosed:F2}, correct {top.CorrectRate:P0}, closed {top.ClosedRate:P0})",
            trackers.Count > 0 ? "agrees (such heads exist)" : "differs (no head passes the rule)"));

        int helps = r.CountingHeads.Count(c => c.Verdict.StartsWith("helps")), misleads = r.CountingHeads.Count(c => c.Verdict.StartsWith("misleads"));
        var improving = r.Ablation.Where(a => a.Depth == 0 && a.Kind == "head" && a.ImprovesAccuracy).Select(a => $"{a.Target} ({a.Mode})").Distinct().ToList();
        rows.Add(new ClaimRow("helping and misleading heads", "counting heads may or may not promote the number still missing; one misleads the model",
            $"{helps} heads promote the missing count, {misleads} the closed count; heads whose ablation improves accuracy: " +
            (improving.Count == 0 ? "none" : string.Join(", ", improving.Take(8)) + (improving.Count > 8 ? ", …" : "")),
            helps > 0 && misleads > 0 ? "agrees (both kinds exist)" : helps + misleads == 0 ? "differs (neither kind found)" : "partly (only one kind found)"));
        return rows;
    }
}
