// The SSM-Interpret paper's claims (STUDIES.md, Study 2) beside what our models measure, judged by rules stated in each row.
using System.Globalization;
using SharpLens.Analysis.Parens;

namespace SharpLens.Analysis.SsmInterpret;

/// <summary>
/// Each row's verdict starts with one word — agrees, partly, differs, or "not measurable" — followed by the rule that
/// gave it. Probe claims use DirectProbe test accuracy when it was run (the paper's probe), else the linear probe,
/// compared layer by layer at the mapped paper layers. Spectral claims read the paper's layer numbers as 0-based
/// indices into 12 layers (an assumption: the paper does not say) scaled to the model's depth.
/// </summary>
internal static class SsmClaims
{
    /// <summary>Points (accuracy units) within which two probe accuracies count as "close" or "kept".</summary>
    public const double Close = 0.03;
    /// <summary>Spectral changes smaller than these (centroid in cycles/token, log10 low/high ratio) count as no change.</summary>
    public const double CentroidTolerance = 0.002, RatioTolerance = 0.05;
    /// <summary>MRR change within which the fix counts as making no difference.</summary>
    public const double MrrTolerance = 0.005;

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    static string P(double v) => (v * 100).ToString("+0.0;-0.0;0.0", Inv);
    static string A(double v) => v.ToString("0.000", Inv);
    static string Nm(string why) => "not measurable — " + why;

    /// <summary>All claim rows for a (partial) study result: probes, fine-tuning, spectra, the fix.</summary>
    public static IReadOnlyList<ClaimRow> Compare(SsmStudyResult r)
    {
        string probe = r.Probes.Any(p => p.Probe == "directprobe") ? "directprobe" : "linear";
        var rows = new List<ClaimRow>
        {
            Pair(r, probe, "sibling", "sibling probes: CodeSSM > RoCoder",
                "pretrained, DirectProbe: CodeSSM .817–.853 vs RoCoder .688–.797 — CodeSSM higher by 4–14 points",
                d => d.All(x => x > 0) && d.Average() is >= 0.04 and <= 0.14 ? "agrees — CodeSSM higher at every layer, mean gap within 4–14 points"
                    : d.Average() > 0 ? "partly — CodeSSM higher on average, but not at every layer or not by 4–14 points"
                    : "differs — CodeSSM not higher on average"),
            Pair(r, probe, "ast-distance", "AST-distance probes: CodeSSM ≥ RoCoder",
                "pretrained, DirectProbe: CodeSSM .588–.628 vs RoCoder .555–.593",
                d => d.All(x => x >= 0) ? "agrees — CodeSSM ≥ RoCoder at every layer"
                    : d.Average() >= 0 ? "partly — CodeSSM ≥ RoCoder on average, not at every layer" : "differs — CodeSSM below RoCoder on average"),
            Pair(r, probe, "dataflow", "data-flow probes: CodeSSM ≈ RoCoder",
                "pretrained: the two models are close (within ±0.03)",
                d => d.All(x => Math.Abs(x) <= Close) ? "agrees — within ±3 points at every layer"
                    : Math.Abs(d.Average()) <= Close ? "partly — within ±3 points on average, not at every layer" : "differs — more than 3 points apart on average"),
            TypeInference(r, probe),
            SearchPreserves(r, probe),
            ShiftTowardHigh(r),
            LayerShift(r, 1, "layer-1 forward kernel: band-pass → high-pass",
                "CodeSSM, type-inference fine-tuning: centroid .190 → .223, log10 low/high +0.39 → −0.31",
                s => s.ClassBefore == "band-pass" && s.ClassAfter == "high-pass" ? "agrees — band-pass → high-pass"
                    : s.TowardHighFrequency ? "partly — shifts toward high frequency (centroid up > 0.002, ratio down > 0.05), but not band → high-pass"
                    : "differs — no shift toward high frequency"),
            LayerShift(r, 4, "layer-4 forward kernel: low-pass → band-pass",
                "CodeSSM, type-inference fine-tuning: log10 low/high 1.88 → 0.20",
                s => s.ClassBefore == "low-pass" && s.ClassAfter == "band-pass" ? "agrees — low-pass → band-pass"
                    : s.RatioChange < -RatioTolerance ? "partly — the low/high ratio falls (by more than 0.05), but not low → band-pass"
                    : "differs — the low/high ratio does not fall by more than 0.05"),
            DeepLowPass(r),
            Fix(r),
        };
        return rows;
    }

    /// <summary>Per mapped layer: accuracy(codessm) − accuracy(rocoder), pretrained; verdict from the differences.</summary>
    static ClaimRow Pair(SsmStudyResult r, string probe, string task, string topic, string paper, Func<double[], string> verdict)
    {
        var c = SsmStudy.AtMappedLayers(r.LayerMap, r.Probes, "codessm/pretrained", task, probe);
        var o = SsmStudy.AtMappedLayers(r.LayerMap, r.Probes, "rocoder/pretrained", task, probe);
        var joined = c.Join(o, x => x.Key, y => y.Key, (x, y) => (x.Key, C: x.Accuracy, R: y.Accuracy)).ToList();
        if (joined.Count == 0)
            return new ClaimRow(topic, paper, Missing(r, ["codessm/pretrained", "rocoder/pretrained"], task), Nm("needs codessm and rocoder pretrained probed on " + task));
        var d = joined.Select(j => j.C - j.R).ToArray();
        string measured = $"{probe}, {joined.Count} layers: CodeSSM {A(joined.Min(j => j.C))}–{A(joined.Max(j => j.C))} vs RoCoder {A(joined.Min(j => j.R))}–{A(joined.Max(j => j.R))}; " +
            $"difference {P(d.Average())} points on average ({P(d.Min())} … {P(d.Max())})";
        return new ClaimRow(topic, paper, measured, verdict(d));
    }

    static ClaimRow TypeInference(SsmStudyResult r, string probe)
    {
        const string topic = "type-inference fine-tuning costs CodeSSM sibling accuracy, not RoCoder";
        const string paper = "CodeSSM loses 5.5–10.5 sibling points after type-inference fine-tuning; RoCoder does not";
        var c = r.Retention.FirstOrDefault(x => x.Role == "codessm" && x.Variant == "typeinf" && x.Task == "sibling" && x.Probe == probe);
        var o = r.Retention.FirstOrDefault(x => x.Role == "rocoder" && x.Variant == "typeinf" && x.Task == "sibling" && x.Probe == probe);
        if (c is null || o is null)
            return new ClaimRow(topic, paper, Missing(r, ["codessm/pretrained", "codessm/typeinf", "rocoder/pretrained", "rocoder/typeinf"], "sibling"),
                Nm("needs codessm and rocoder, pretrained and typeinf, probed on sibling"));
        double dc = -c.Change, dr = -o.Change;                                   // drops: before − after
        bool inRange = dc is >= 0.055 and <= 0.105, keeps = dr <= Close;
        string verdict = inRange && keeps ? "agrees — CodeSSM drops 5.5–10.5 points, RoCoder within 3"
            : inRange && dc > dr ? "partly — CodeSSM drops 5.5–10.5 points, but RoCoder drops more than 3"
            : keeps && dc > Close ? "partly — CodeSSM drops and RoCoder keeps, but CodeSSM's drop is outside 5.5–10.5 points"
            : "differs — CodeSSM does not lose clearly more than RoCoder";
        return new ClaimRow(topic, paper, $"{probe}, mean over layers: CodeSSM {A(c.Before)} → {A(c.After)} ({P(c.Change)} points); RoCoder {A(o.Before)} → {A(o.After)} ({P(o.Change)} points)", verdict);
    }

    static ClaimRow SearchPreserves(SsmStudyResult r, string probe)
    {
        const string topic = "code-search fine-tuning mostly preserves CodeSSM's probes";
        const string paper = "CodeSSM's probe accuracies mostly survive code-search fine-tuning (no number given)";
        var s = r.Retention.Where(x => x.Role == "codessm" && x.Variant == "search" && x.Probe == probe).ToList();
        if (s.Count == 0) return new ClaimRow(topic, paper, Missing(r, ["codessm/pretrained", "codessm/search"], null), Nm("needs codessm pretrained and search"));
        double drop = -s.Average(x => x.Change);
        var ti = r.Retention.FirstOrDefault(x => x.Role == "codessm" && x.Variant == "typeinf" && x.Task == "sibling" && x.Probe == probe);
        string measured = $"{probe}, mean over layers: " + string.Join("; ", s.Select(x => $"{x.Task} {A(x.Before)} → {A(x.After)} ({P(x.Change)})")) +
            $"; mean drop {P(drop)} points";
        string verdict = drop <= Close ? "agrees — mean drop within 3 points"
            : drop < 0.055 || ti is not null && drop < -ti.Change ? "partly — drops more than 3 points, less than the type-inference loss"
            : "differs — drops as much as the type-inference loss or more";
        return new ClaimRow(topic, paper, measured, verdict);
    }

    static ClaimRow ShiftTowardHigh(SsmStudyResult r)
    {
        const string topic = "short-range fine-tuning shifts kernels toward short range";
        const string paper = "after type-inference fine-tuning the forward kernels' spectra move toward higher frequencies";
        var s = r.Shifts.Where(x => x.Role == "codessm" && x.Variant == "typeinf" && x.Direction == "fwd").ToList();
        if (s.Count == 0) return new ClaimRow(topic, paper, Missing(r, ["codessm/pretrained", "codessm/typeinf"], null), Nm("needs codessm pretrained and typeinf kernels"));
        int up = s.Count(x => x.TowardHighFrequency);
        string measured = $"{up} of {s.Count} forward kernels: centroid up by > 0.002 and log10 low/high down by > 0.05; mean Δcentroid {s.Average(x => x.CentroidChange).ToString("+0.000;-0.000;0.000", Inv)}";
        return new ClaimRow(topic, paper, measured, up * 2 > s.Count ? "agrees — most forward kernels move toward high frequency"
            : up > 0 ? "partly — some forward kernels move toward high frequency, not most" : "differs — no forward kernel moves toward high frequency");
    }

    /// <summary>Paper spectral layer index p of 12 (0-based) → round(p·(n−1)/11).</summary>
    public static int SpectralLayer(int paperLayer, int nLayers) =>
        nLayers <= 1 ? 0 : (int)Math.Round(paperLayer * (nLayers - 1) / 11.0, MidpointRounding.AwayFromZero);

    static ClaimRow LayerShift(SsmStudyResult r, int paperLayer, string topic, string paper, Func<ShiftRow, string> verdict)
    {
        var m = r.Models.FirstOrDefault(x => x.Name == "codessm/pretrained");
        var s = m is null ? null : r.Shifts.FirstOrDefault(x => x.Role == "codessm" && x.Variant == "typeinf" && x.Direction == "fwd" && x.Layer == SpectralLayer(paperLayer, m.NLayers));
        if (s is null) return new ClaimRow(topic, paper, Missing(r, ["codessm/pretrained", "codessm/typeinf"], null), Nm("needs codessm pretrained and typeinf kernels"));
        string measured = $"layer {s.Layer} of {m!.NLayers} (paper {paperLayer} of 12) fwd: {s.ClassBefore} → {s.ClassAfter}, centroid {A(s.CentroidBefore)} → {A(s.CentroidAfter)}, " +
            $"log10 low/high {R(s.RatioBefore)} → {R(s.RatioAfter)}";
        return new ClaimRow(topic, paper, measured, verdict(s));
    }

    static ClaimRow DeepLowPass(SsmStudyResult r)
    {
        const string topic = "deep forward kernels stay low-pass";
        const string paper = "deep forward kernels stay strongly low-pass after type-inference fine-tuning";
        var m = r.Models.FirstOrDefault(x => x.Name == "codessm/pretrained");
        if (m is null) return new ClaimRow(topic, paper, Missing(r, ["codessm/pretrained", "codessm/typeinf"], null), Nm("needs codessm pretrained and typeinf kernels"));
        int first = m.NLayers - Math.Max(1, m.NLayers / 3);
        var s = r.Shifts.Where(x => x.Role == "codessm" && x.Variant == "typeinf" && x.Direction == "fwd" && x.Layer >= first).ToList();
        if (s.Count == 0) return new ClaimRow(topic, paper, Missing(r, ["codessm/pretrained", "codessm/typeinf"], null), Nm("needs codessm pretrained and typeinf kernels"));
        int stay = s.Count(x => x.ClassBefore == "low-pass" && x.ClassAfter == "low-pass"), after = s.Count(x => x.ClassAfter == "low-pass");
        string measured = $"layers {first}–{m.NLayers - 1} (last third) fwd: {stay} of {s.Count} low-pass before and after; {after} low-pass after; classes before → after: " +
            string.Join(", ", s.Select(x => $"{x.Layer} {x.ClassBefore}→{x.ClassAfter}"));
        return new ClaimRow(topic, paper, measured, stay == s.Count ? "agrees — every deep forward kernel low-pass before and after"
            : after * 2 >= s.Count ? "partly — at least half low-pass after fine-tuning, not all before and after" : "differs — most deep forward kernels are not low-pass after");
    }

    static ClaimRow Fix(SsmStudyResult r)
    {
        const string topic = "the short-convolution fix (CodeSSM-HF) improves code search";
        const string paper = "a parallel short convolution beside each S4D kernel adds up to +6 MRR on code search";
        var c = r.Scores.FirstOrDefault(x => x.Model == "codessm/search")?.Mrr;
        var h = r.Scores.FirstOrDefault(x => x.Model == "codessm-hf/search")?.Mrr;
        if (c is not double cm || h is not double hm)
            return new ClaimRow(topic, paper, $"MRR recorded: codessm/search {(c is double x ? A(x) : "none")}, codessm-hf/search {(h is double y ? A(y) : "none")}",
                Nm("needs codessm/search and codessm-hf/search with MRR in finetune_result.json"));
        double d = hm - cm;
        return new ClaimRow(topic, paper, $"MRR CodeSSM {A(cm)} vs CodeSSM-HF {A(hm)}: {P(d)} points",
            d > MrrTolerance ? "agrees — the fix raises MRR" + (d > 0.06 ? " (by more than the paper's +6)" : "")
            : d >= -MrrTolerance ? "partly — no change beyond ±0.5 MRR points" : "differs — the fix lowers MRR");
    }

    static string Missing(SsmStudyResult r, IReadOnlyList<string> needed, string? task)
    {
        var absent = needed.Where(n => r.Models.All(m => m.Name != n)).ToList();
        if (absent.Count > 0) return "missing from the manifest: " + string.Join(", ", absent);
        return task is not null && r.Tasks.All(t => t.Task != task) ? $"task {task} not run" : "no comparable rows";
    }

    static string R(double v) => double.IsFinite(v) ? v.ToString("+0.00;-0.00;0.00", Inv) : v > 0 ? "+inf" : v < 0 ? "-inf" : "nan";
}
