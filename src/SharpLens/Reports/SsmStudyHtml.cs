// The ssm-study as ONE self-contained HTML page: inline CSS and SVG figures, each followed by the numbers it plots.
using System.Globalization;
using System.Net;
using System.Text;
using SharpLens.Analysis.Spectra;
using SharpLens.Analysis.SsmInterpret;
using static SharpLens.Reports.ParensHtml;

namespace SharpLens.Reports;

/// <summary>Renders an <see cref="SsmStudyResult"/>; nothing is fetched (no URLs, fonts, scripts or images).</summary>
internal static class SsmStudyHtml
{
    static string E(string s) => WebUtility.HtmlEncode(s);
    static string N(double v, string f = "0.000") => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : double.IsNaN(v) ? "–" : v > 0 ? "+inf" : "-inf";
    static string N(double? v, string f = "0.000") => v is double d ? N(d, f) : "–";

    const string Css = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}" +
        "table{border-collapse:collapse;font-size:12px;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}" +
        "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}figure{margin:1em 0}details{font-size:12px}" +
        ".note{background:#fff8e1;padding:.4em .8em;border-left:3px solid #f0b400}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}" +
        ".grid{display:flex;flex-wrap:wrap;gap:4px}.grid svg{width:540px;height:auto}";

    /// <summary>The whole page.</summary>
    public static string Render(SsmStudyResult r)
    {
        var sb = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SharpLens SSM-Interpret study</title><style>")
            .Append(Css).Append("</style></head><body>");
        sb.Append($"<h1>SSM-Interpret study</h1><p>Manifest <code>{E(r.Manifest)}</code>. Stage times (s): " +
            E(string.Join(", ", r.StageSeconds.Select(kv => $"{kv.Key} {kv.Value:0.#}"))) + ".</p>");
        foreach (var n in r.Notes) sb.Append($"<p class=\"note\">{E(n)}</p>");
        sb.Append(Table(["model", "folder", "architecture", "layers", "d_model", "parameters", "from", "conv kernel"],
            r.Models.Select(m => new[] { m.Name, m.Folder, m.Architecture, $"{m.NLayers}", $"{m.DModel}", $"{m.Parameters:N0}", m.From ?? "", m.ConvKernelSize?.ToString() ?? "" })));
        sb.Append(Table(["task", "pairs file", "pairs", "train", "test", "paper train", "paper test", "labels"],
            r.Tasks.Select(t => new[] { t.Task, t.Source, $"{t.Pairs}", $"{t.Train}", $"{t.Test}", $"{t.PaperTrain}", $"{t.PaperTest}", $"{t.Labels}" })));

        sb.Append("<h2>1. Paper vs our models</h2><p>Each verdict's first word is agrees, partly, differs or not measurable; the rule follows it.</p>");
        sb.Append(Table(["claim", "paper", "measured", "verdict"], r.Claims.Select(c => new[] { c.Topic, c.Paper, c.ThisModel, c.Verdict })));

        sb.Append("<h2>2. Probes per layer</h2><p>Layers: the paper's 3, 4, 6, 8, 10, 11 of 12 (block outputs) mapped to each model's depth; " +
            "the probed hook is <code>blocks.{l}.hook_resid_post</code>.</p>");
        sb.Append(Table(["model", "layers", "paper layer", "probed layer (0-based)"], r.LayerMap.Select(m => new[] { m.Model, $"{m.NLayers}", m.PaperLayer?.ToString() ?? "(override)", $"{m.Layer}" })));
        sb.Append(Probes(r));

        sb.Append("<h2>3. Kernel spectra</h2>");
        sb.Append(Spectra(r));

        sb.Append("<h2>4. The fix: CodeSSM vs CodeSSM-HF</h2><p>Scores as recorded by <code>sharplens finetune</code> in each fine-tuned folder's finetune_result.json; " +
            "probe retention = mean test accuracy over the probed layers after fine-tuning minus before.</p>");
        sb.Append(Table(["model", "accuracy", "macro-F1", "MRR", "source"], r.Scores.Select(s => new[] { s.Model, N(s.Accuracy), N(s.MacroF1), N(s.Mrr), s.Source })));
        var mrr = r.Scores.Where(s => s.Mrr is not null).ToList();
        if (mrr.Count > 0)
            sb.Append(Figure(Svg.Bars("code-search MRR (recorded)", mrr.Select(s => s.Model).ToList(), [new Series("MRR", mrr.Select(s => s.Mrr!.Value).ToList())], "MRR", min: 0, max: 1),
                mrr.Count, Table(["model", "MRR"], mrr.Select(s => new[] { s.Model, N(s.Mrr) }))));
        sb.Append(Table(["role", "variant", "task", "probe", "before", "after", "change", "layers"],
            r.Retention.Select(x => new[] { x.Role, x.Variant, x.Task, x.Probe, N(x.Before), N(x.After), N(x.Change, "+0.000;-0.000;0.000"), $"{x.Layers}" })));
        return sb.Append("</body></html>").ToString();
    }

    static string Probes(SsmStudyResult r)
    {
        var sb = new StringBuilder();
        foreach (var task in r.Tasks.Select(t => t.Task))
        {
            sb.Append($"<h3>{E(task)}</h3>");
            var keys = r.LayerMap.Select(m => m.PaperLayer ?? m.Layer).Distinct().Order().ToList();
            var xs = keys.Select(k => r.LayerMap.Any(m => m.PaperLayer is not null) ? $"paper {k}" : $"layer {k}").ToList();
            foreach (var probe in r.Probes.Select(p => p.Probe).Distinct())
            {
                var series = r.Models.Select(m =>
                {
                    var at = SsmStudy.AtMappedLayers(r.LayerMap, r.Probes, m.Name, task, probe).ToDictionary(x => x.Key, x => x.Accuracy);
                    return new Series(m.Name, keys.Select(k => at.TryGetValue(k, out var v) ? v : double.NaN).ToList());
                }).ToList();
                var rows = r.Probes.Where(p => p.Task == task && p.Probe == probe).ToList();
                sb.Append(Figure(Svg.Lines($"{task}: {probe} test accuracy", xs, series, "test accuracy", 0, 1), rows.Count,
                    Table(["model", "layer", "train", "test", "macro-F1", "clusters", "labels", "min dist", "mean dist", "centroid acc", "SVM solves", "budget hit", "s"],
                        rows.Select(p => new[] { p.Model, $"{p.Layer}", N(p.TrainAccuracy), N(p.TestAccuracy), N(p.MacroF1), p.Clusters?.ToString() ?? "–", $"{p.Labels}",
                            N(p.MinDistance, "0.00"), N(p.MeanDistance, "0.00"), N(p.TestAccuracyCentroid), p.SvmSolves?.ToString() ?? "–", p.BudgetExhausted?.ToString() ?? "–", N(p.Seconds, "0.0") }))));
                if (probe != "directprobe") continue;
                var clusters = r.Models.Select(m => new Series(m.Name, keys.Select(k =>
                {
                    var layer = r.LayerMap.FirstOrDefault(x => x.Model == m.Name && (x.PaperLayer ?? x.Layer) == k)?.Layer;
                    return rows.FirstOrDefault(p => p.Model == m.Name && p.Layer == layer)?.Clusters is int c ? (double)c : double.NaN;
                }).ToList())).ToList();
                sb.Append(Figure(Svg.Lines($"{task}: DirectProbe final clusters (labels = {rows.FirstOrDefault()?.Labels})", xs, clusters, "clusters", min: 0), rows.Count,
                    Table(["model", "layer", "clusters", "labels", "min dist", "mean dist"],
                        rows.Select(p => new[] { p.Model, $"{p.Layer}", p.Clusters?.ToString() ?? "–", $"{p.Labels}", N(p.MinDistance, "0.00"), N(p.MeanDistance, "0.00") }))));
            }
        }
        return sb.ToString();
    }

    static string Spectra(SsmStudyResult r)
    {
        var sb = new StringBuilder();
        if (r.Spectra.Count == 0) return "<p>No model of the manifest has SSM kernels.</p>";
        int ColorOf(string model) => Math.Max(0, r.Models.ToList().FindIndex(m => m.Name == model));
        sb.Append("<p>Every kernel materialised at L = " + string.Join(", ", r.Spectra.Select(s => $"{s.Length} ({s.Label}, {s.Kind})")) +
            "; |rfft(K)| without window or normalisation; f in cycles/token. Classes: low-pass (centroid &lt; 0.166 and log10 low/high &gt; 1), " +
            "high-pass (centroid ≥ 0.166 and log10 ratio &lt; 0), band-pass (centroid ≥ 0.166 and 0 ≤ log10 ratio ≤ 1), otherwise unlabelled.</p>");
        var points = r.Kernels.Select(k => new XYPoint(k.Centroid, k.Log10LowHighRatio, $"{k.Model} layer {k.Layer} {k.Direction} ({k.Class})", ColorOf(k.Model), k.Direction == "bwd")).ToList();
        var arrows = r.Shifts.Select(s => new XYArrow(s.CentroidBefore, s.RatioBefore, s.CentroidAfter, s.RatioAfter,
            $"{s.Role} layer {s.Layer} {s.Direction}: pretrained → {s.Variant}", ColorOf($"{s.Role}/{s.Variant}"))).ToList();
        var legend = r.Spectra.Select(s => (s.Label, ColorOf(s.Label))).ToList();
        int offScale = r.Kernels.Count(k => !double.IsFinite(k.Log10LowHighRatio) || !double.IsFinite(k.Centroid));
        sb.Append(Figure(Svg.Scatter("centroid vs log10 low/high energy (arrows: pretrained → fine-tuned)", "spectral centroid (cycles/token)", "log10 low/high",
                points, arrows, [0.166], [0, 1], legend), points.Count,
            (offScale > 0 ? $"<p>{offScale} kernels have a non-finite ratio or centroid and are not drawn.</p>" : "") +
            Table(["model", "kind", "layer", "dir", "dominant f", "centroid", "log10 low/high", "class"],
                r.Kernels.Select(k => new[] { k.Model, k.Kind, $"{k.Layer}", k.Direction, N(k.DominantFrequency, "0.0000"), N(k.Centroid, "0.0000"), N(k.Log10LowHighRatio, "0.00"), k.Class }))));

        sb.Append("<h3>Shift table (pretrained → fine-tuned)</h3>");
        sb.Append(Table(["role", "variant", "layer", "dir", "class before → after", "centroid before", "after", "Δcentroid", "log10 ratio before", "after", "Δlog10 ratio", "toward high f"],
            r.Shifts.Select(s => new[] { s.Role, s.Variant, $"{s.Layer}", s.Direction, s.ClassBefore == s.ClassAfter ? s.ClassBefore : $"{s.ClassBefore} → {s.ClassAfter}",
                N(s.CentroidBefore), N(s.CentroidAfter), N(s.CentroidChange, "+0.000;-0.000;0.000"), N(s.RatioBefore, "0.00"), N(s.RatioAfter, "0.00"),
                N(s.RatioChange, "+0.00;-0.00;0.00"), s.TowardHighFrequency ? "yes" : "no" })));

        sb.Append("<h3>Magnitude responses</h3><p>log10 |rfft(K)| (drawn at up to 256 points: the maximum of each run of bins); solid vertical line: dominant frequency, dotted: centroid. " +
            "One chart per role, layer and direction with every variant of that role.</p>");
        foreach (var role in r.Models.Select(m => m.Role).Distinct())
        {
            var ofRole = r.Spectra.Where(s => r.Models.Any(m => m.Name == s.Label && m.Role == role)).ToList();
            if (ofRole.Count == 0) continue;
            sb.Append($"<h4>{E(role)}</h4><div class=\"grid\">");
            foreach (var key in ofRole.SelectMany(s => s.Kernels.Select(k => (k.Layer, k.Direction))).Distinct().OrderBy(k => k.Layer).ThenBy(k => k.Direction == "bwd"))
            {
                var curves = ofRole.Select(s => (s.Label, Kernel: s.Kernels.FirstOrDefault(x => (x.Layer, x.Direction) == key), Color: ColorOf(s.Label)))
                    .Where(c => c.Kernel is not null).Select(c => (c.Label, c.Kernel!, c.Color)).ToList();
                sb.Append(SpectraHtml.MagnitudeResponse($"{role} layer {key.Layer} {key.Direction}", curves));
            }
            sb.Append("</div>");
        }
        return sb.ToString();
    }
}
