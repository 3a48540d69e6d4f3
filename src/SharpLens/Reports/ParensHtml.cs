// The parens study as ONE self-contained HTML page: inline CSS, inline SVG figures each with its data table, an inline-JS attention viewer.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using SharpLens.Analysis.Parens;

namespace SharpLens.Reports;

/// <summary>
/// Renders a <see cref="ParensStudyResult"/>. Nothing is fetched: no URLs, no external fonts, scripts or images. Every
/// figure is a <c>&lt;figure class="fig" data-points="N"&gt;</c> (N = plotted values) followed by the numbers it plots.
/// </summary>
internal static class ParensHtml
{
    static string E(string s) => WebUtility.HtmlEncode(s);
    static string N(double v, string f = "0.###") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);

    /// <summary>The stylesheet of SharpLens report pages (shared by <see cref="AnalysisHtml"/>).</summary>
    internal const string Css = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}" +
        "table{border-collapse:collapse;font-size:12px;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}" +
        "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}figure{margin:1em 0}details{font-size:12px}" +
        ".tok{display:inline-block;padding:2px 3px;margin:1px;border:1px solid #ddd;font-family:monospace;white-space:pre}td.tok{display:table-cell}" +
        ".note{background:#fff8e1;padding:.4em .8em;border-left:3px solid #f0b400}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}";

    public static string Render(ParensStudyResult r)
    {
        var i = r.Info;
        var sb = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SharpLens parens study</title><style>")
            .Append(Css).Append("</style></head><body>");
        sb.Append($"<h1>Closing-parenthesis study</h1><p>Model <code>{E(i.Model)}</code> ({E(i.Architecture)}, {i.NLayers} layers × {i.NHeads} heads, d_model {i.DModel}, vocab {i.DVocab}, {E(i.DType)}); " +
            $"dataset <b>{E(i.Dataset)}</b>, depths {string.Join(",", i.Depths)}, {i.NPerDepth} per depth ({i.Prompts} prompts, {i.ClosedPrompts} already-closed prompts, {i.AblationPrompts} ablation prompts), seed {i.Seed}. " +
            $"Stage times (s): {E(string.Join(", ", i.StageSeconds.Select(kv => $"{kv.Key} {kv.Value:0.#}")))}.</p>");
        foreach (var n in r.Notes) sb.Append($"<p class=\"note\">{E(n)}</p>");

        sb.Append("<h2>Label tokens</h2>").Append(Table(["variant", "depth", "label", "label id", "token", "single token", "prompt is prefix", "counterfactual", "cf id", "prompts", "note"],
            r.LabelChecks.Select(c => new[] { c.Variant, $"{c.Depth}", c.LabelText, $"{c.LabelId}", c.LabelToken, $"{c.SingleToken}", $"{c.PromptIsPrefix}", c.CounterfactualToken, $"{c.CounterfactualId}", $"{c.Count}", c.Note })));

        // 1. accuracy
        var variants = r.Accuracy.Select(a => a.Variant).Distinct().ToList();
        var depths = r.Accuracy.Where(a => a.Depth > 0).Select(a => a.Depth).Distinct().OrderBy(d => d).ToList();
        sb.Append("<h2>1. Accuracy (greedy, full vocabulary)</h2>");
        sb.Append(Figure(Svg.Bars("Accuracy per depth", depths.Select(d => $"depth {d}").ToList(),
            variants.Select(v => new Series(v, depths.Select(d => r.Accuracy.FirstOrDefault(a => a.Variant == v && a.Depth == d)?.Accuracy ?? double.NaN).ToList())).ToList(), "accuracy", min: 0, max: 1),
            r.Accuracy.Count, Table(["variant", "depth", "n", "correct", "accuracy", "mean p(label)", "mean logit diff", "95% CI"],
                r.Accuracy.Select(a => new[] { a.Variant, a.Depth == 0 ? "all" : $"{a.Depth}", $"{a.N}", $"{a.Correct}", N(a.Accuracy), N(a.MeanLabelProb), N(a.MeanLogitDiff), $"[{N(a.LogitDiffLo)}, {N(a.LogitDiffHi)}]" }))));

        // 2. logit lens
        sb.Append("<h2>2. Logit lens at the final position</h2><p>Every layer's residual stream through the final norm (its own scale) and the unembedding. x: resid_pre 0, then resid_post of each layer (resid_pre l+1 = resid_post l; both are in logit_lens.csv).</p>");
        var lensDepths = r.LogitLens.Select(l => l.Depth).Distinct().Where(d => d > 0).OrderBy(d => d).ToList();
        var sites = r.LogitLens.Where(l => l.Depth == 0 && (l.Site == "resid_post" || l.Layer == 0)).OrderBy(l => l.Site == "resid_pre" ? -1 : l.Layer).ToList();
        var xs = sites.Select(s => s.Site == "resid_pre" ? "pre 0" : $"post {s.Layer}").ToList();
        List<LensRow> Row(int d) => r.LogitLens.Where(l => l.Depth == d && (l.Site == "resid_post" || l.Layer == 0)).OrderBy(l => l.Site == "resid_pre" ? -1 : l.Layer).ToList();
        string lensTable = Table(["depth", "site", "layer", "n", "p(label)", "95% CI", "mean rank", "top-1", "logit diff", "95% CI"],
            r.LogitLens.Select(l => new[] { l.Depth == 0 ? "all" : $"{l.Depth}", l.Site, $"{l.Layer}", $"{l.N}", N(l.MeanProb), $"[{N(l.ProbLo)}, {N(l.ProbHi)}]", N(l.MeanRank, "0.#"), N(l.Top1Fraction), N(l.MeanLogitDiff), $"[{N(l.LogitDiffLo)}, {N(l.LogitDiffHi)}]" }));
        sb.Append(Figure(Svg.Lines("p(correct token) by layer", xs, lensDepths.Select(d => { var rr = Row(d); return new Series($"depth {d}", rr.Select(x => x.MeanProb).ToList(), rr.Select(x => x.ProbLo).ToList(), rr.Select(x => x.ProbHi).ToList()); }).ToList(), "probability", 0, 1),
            r.LogitLens.Count, lensTable));
        sb.Append(Figure(Svg.Lines("logit difference (correct − counterfactual) by layer", xs, lensDepths.Select(d => { var rr = Row(d); return new Series($"depth {d}", rr.Select(x => x.MeanLogitDiff).ToList(), rr.Select(x => x.LogitDiffLo).ToList(), rr.Select(x => x.LogitDiffHi).ToList()); }).ToList(), "logit diff"),
            r.LogitLens.Count, Table(["depth", "site", "layer", "logit diff", "95% CI"], r.LogitLens.Select(l => new[] { l.Depth == 0 ? "all" : $"{l.Depth}", l.Site, $"{l.Layer}", N(l.MeanLogitDiff), $"[{N(l.LogitDiffLo)}, {N(l.LogitDiffHi)}]" }))));
        sb.Append(Figure(Svg.Lines("fraction of prompts with the answer top-1", xs, lensDepths.Select(d => new Series($"depth {d}", Row(d).Select(x => x.Top1Fraction).ToList())).ToList(), "top-1 fraction", 0, 1),
            r.LogitLens.Count, Table(["depth", "first site top-1 for most prompts", "top-1 fraction there", "mean first top-1 layer (per prompt)", "prompts never top-1"],
                r.FirstTop1.Select(f => new[] { f.Depth == 0 ? "all" : $"{f.Depth}", f.Layer is int l ? $"{f.Site} {l}" : "never", N(f.Top1Fraction), N(f.MeanFirstLayer, "0.##"), $"{f.PromptsNeverTop1}" }))));

        // 3. DLA
        sb.Append("<h2>3. Direct logit attribution of the final logit difference</h2>");
        sb.Append(Table(["depth", "n", "embed", "attention total", "MLP total", "norm bias", "unembed bias", "Σ components", "model's logit diff", "max |Σ − actual|"],
            r.DlaSummary.Select(s => new[] { s.Depth == 0 ? "all" : $"{s.Depth}", $"{s.N}", N(s.Embed), N(s.TotalAttn), N(s.TotalMlp), N(s.NormBias), N(s.UnembedBias), N(s.MeanSum, "0.#####"), N(s.MeanActual, "0.#####"), s.MaxAbsError.ToString("0.###e+0", CultureInfo.InvariantCulture) })));
        var layers0 = r.DlaLayers.Where(d => d.Depth == 0).OrderBy(d => d.Layer).ToList();
        var emb = r.DlaSummary.FirstOrDefault(s => s.Depth == 0)?.Embed ?? double.NaN;
        sb.Append(Figure(Svg.Bars("attribution per layer: attention (MHA) vs MLP, all depths", layers0.Select(d => $"L{d.Layer}").Prepend("embed").ToList(),
            [new Series("attention", layers0.Select(d => d.Attn).Prepend(double.NaN).ToList()), new Series("MLP", layers0.Select(d => d.Mlp).Prepend(double.NaN).ToList()), new Series("embed", layers0.Select(_ => double.NaN).Prepend(emb).ToList())], "logit diff"),
            r.DlaLayers.Count, Table(["depth", "layer", "attention", "95% CI", "o_proj bias", "MLP", "95% CI"],
                r.DlaLayers.Select(d => new[] { d.Depth == 0 ? "all" : $"{d.Depth}", $"{d.Layer}", N(d.Attn), $"[{N(d.AttnLo)}, {N(d.AttnHi)}]", N(d.AttnBias), N(d.Mlp), $"[{N(d.MlpLo)}, {N(d.MlpHi)}]" }))));
        var dd = r.DlaSummary.Where(s => s.Depth > 0).ToList();
        sb.Append(Figure(Svg.Bars("attention vs MLP totals per depth", dd.Select(s => $"depth {s.Depth}").ToList(),
            [new Series("attention", dd.Select(s => s.TotalAttn).ToList()), new Series("MLP", dd.Select(s => s.TotalMlp).ToList()), new Series("embed", dd.Select(s => s.Embed).ToList())], "logit diff"),
            dd.Count * 3, Table(["depth", "attention", "MLP", "embed"], dd.Select(s => new[] { $"{s.Depth}", N(s.TotalAttn), N(s.TotalMlp), N(s.Embed) }))));
        sb.Append(Figure(HeadMap("per-head attribution (all depths)", r.DlaHeads.Where(h => h.Depth == 0).Select(h => (h.Layer, h.Head, h.Mean)), i.NLayers, i.NHeads, true, "logit diff"),
            r.DlaHeads.Count(h => h.Depth == 0), Table(["depth", "layer", "head", "mean", "95% CI"],
                r.DlaHeads.Where(h => h.Depth == 0).OrderByDescending(h => Math.Abs(h.Mean)).Select(h => new[] { h.Depth == 0 ? "all" : $"{h.Depth}", $"{h.Layer}", $"{h.Head}", N(h.Mean), $"[{N(h.Lo)}, {N(h.Hi)}]" })) + "<p>(all depths; per depth in dla_heads.csv)</p>"));

        sb.Append(ParensHtmlParts.Attention(r));
        sb.Append(ParensHtmlParts.Counting(r));
        sb.Append(ParensHtmlParts.Ablation(r));
        sb.Append(ParensHtmlParts.Viewer(r));
        sb.Append("<h2>Paper vs this model</h2><p>Miller, Rai, Yao (2025), CodeLlama-7b, as summarised in STUDIES.md. Verdicts follow the rule stated in each cell, whatever the model does.</p>");
        sb.Append(Table(["topic", "paper", "this model", "verdict"], r.Claims.Select(c => new[] { c.Topic, c.Paper, c.ThisModel, c.Verdict })));
        return sb.Append("</body></html>").ToString();
    }

    /// <summary>A figure with its point count and its data (collapsed).</summary>
    public static string Figure(string svg, int points, string dataHtml) =>
        $"<figure class=\"fig\" data-points=\"{points}\">{svg}<details><summary>data</summary>{dataHtml}</details></figure>";

    public static string Table(IReadOnlyList<string> headers, IEnumerable<string[]> rows)
    {
        var sb = new StringBuilder("<table><tr>");
        foreach (var h in headers) sb.Append($"<th>{E(h)}</th>");
        sb.Append("</tr>");
        foreach (var row in rows) sb.Append("<tr>").Append(string.Concat(row.Select(c => $"<td>{E(c)}</td>"))).Append("</tr>");
        return sb.Append("</table>").ToString();
    }

    public static string HeadMap(string title, IEnumerable<(int Layer, int Head, double Value)> cells, int nLayers, int nHeads, bool diverging, string label)
    {
        var v = new double[nLayers, nHeads];
        for (int l = 0; l < nLayers; l++) for (int h = 0; h < nHeads; h++) v[l, h] = double.NaN;
        foreach (var (l, h, x) in cells) v[l, h] = x;
        return Svg.Heatmap(title, Enumerable.Range(0, nLayers).Select(l => $"L{l}").ToList(), Enumerable.Range(0, nHeads).Select(h => $"H{h}").ToList(), v, diverging, label);
    }

    internal static string JsonData(object o) => JsonSerializer.Serialize(o);   // default encoder escapes <, >, & so it is safe inside <script>
}
