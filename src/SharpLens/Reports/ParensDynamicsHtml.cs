// The parens study across training as ONE self-contained HTML section (inline SVG lines over steps, each with its data table).
using System.Globalization;
using System.Net;
using System.Text;
using SharpLens.Analysis.Parens;
using static SharpLens.Reports.ParensHtml;

namespace SharpLens.Reports;

/// <summary>
/// Renders a <see cref="ParensDynamicsResult"/>: <see cref="Section"/> is one <c>&lt;section id="parens-dynamics"&gt;</c>
/// (embeddable in another page), <see cref="Render"/> a page holding only it. Nothing is fetched. x is the checkpoint
/// (categorical: equal spacing whatever the gap between steps).
/// </summary>
internal static class ParensDynamicsHtml
{
    static string E(string s) => WebUtility.HtmlEncode(s);
    static string N(double v, string f = "0.###") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);
    static string D(int depth) => depth == 0 ? "all" : $"{depth}";

    public static string Render(ParensDynamicsResult r) =>
        new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SharpLens parens study across training</title><style>")
            .Append(Css).Append("</style></head><body>").Append(Section(r)).Append("</body></html>").ToString();

    public static string Section(ParensDynamicsResult r)
    {
        var i = r.Info;
        var steps = i.Steps.Select(s => s.Step).ToList();
        var xs = steps.Select(s => s.ToString(CultureInfo.InvariantCulture)).ToList();
        var depths = i.Depths.OrderBy(d => d).ToList();

        var sb = new StringBuilder("<section id=\"parens-dynamics\"><h2>Closing-parenthesis study across training</h2>");
        sb.Append($"<p>{i.Steps.Count} checkpoints of one run ({E(i.Architecture)}, {i.NLayers} layers × {i.NHeads} heads, d_model {i.DModel}, vocab {i.DVocab}, {E(i.DType)}), " +
            $"steps {E(string.Join(", ", xs))}. The same prompts at every step: dataset <b>{E(i.Dataset)}</b>, depths {string.Join(",", i.Depths)}, {i.NPerDepth} per depth " +
            $"({i.Prompts} prompts, {i.ClosedPrompts} already-closed prompts), seed {i.Seed}. Each step's numbers are those of <code>sharplens parens</code> on that checkpoint " +
            $"with the same options (its ablations are not run). Seconds per checkpoint: {E(string.Join(", ", i.Steps.Select(s => $"{s.Step} {s.Seconds:0.#}")))}.</p>");
        foreach (var n in r.Notes) sb.Append($"<p class=\"note\">{E(n)}</p>");

        var template = r.Accuracy.Where(a => a.Variant != "closed").ToList();
        var accSeries = depths.Select(d => new Series($"depth {d}", Over(steps, template.Where(a => a.Depth == d), a => a.Step, a => a.Accuracy))).ToList();
        if (r.Accuracy.Any(a => a.Variant == "closed")) accSeries.Add(new Series("closed, all", Over(steps, r.Accuracy.Where(a => a.Variant == "closed" && a.Depth == 0), a => a.Step, a => a.Accuracy)));
        sb.Append("<h3>Accuracy (greedy, full vocabulary)</h3>").Append(Figure(Svg.Lines("accuracy per depth over training", xs, accSeries, "accuracy", 0, 1),
            accSeries.Sum(s => s.Values.Count(v => !double.IsNaN(v))), Table(["step", "variant", "depth", "n", "correct", "accuracy", "mean p(label)", "mean logit diff"],
                r.Accuracy.Select(a => new[] { $"{a.Step}", a.Variant, D(a.Depth), $"{a.N}", $"{a.Correct}", N(a.Accuracy), N(a.MeanLabelProb), N(a.MeanLogitDiff) }))));

        var lensTable = Table(["step", "depth", "first site top-1 for most prompts", "top-1 fraction there", "mean first top-1 layer (per prompt)", "prompts never top-1"],
            r.FirstTop1.Select(f => new[] { $"{f.Step}", D(f.Depth), f.FirstLayer is not int fl ? "never" : fl < 0 ? "embeddings (resid_pre 0)" : $"resid_post {fl}", N(f.Top1Fraction), N(f.MeanFirstLayer, "0.##"), $"{f.PromptsNeverTop1}" }));
        var first = depths.Select(d => new Series($"depth {d}", Over(steps, r.FirstTop1.Where(f => f.Depth == d), f => f.Step, f => f.FirstLayer ?? double.NaN))).ToList();
        var mean = depths.Select(d => new Series($"depth {d}", Over(steps, r.FirstTop1.Where(f => f.Depth == d), f => f.Step, f => f.MeanFirstLayer))).ToList();
        sb.Append("<h3>Logit lens: where the answer first ranks top-1</h3><p>Layer l = the residual stream after layer l (resid_post l); −1 = the embeddings. " +
            "A gap means no site ranks the answer top-1 for most prompts of that depth at that step.</p>");
        double top = -1 + 4 * Math.Ceiling(i.NLayers / 4.0);                                 // the 5 grid lines fall on whole layers
        sb.Append(Figure(Svg.Lines("first layer where most prompts rank the answer top-1", xs, first, "layer", -1, top),
            first.Sum(s => s.Values.Count(v => !double.IsNaN(v))) + 1, lensTable));
        sb.Append(Figure(Svg.Lines("mean first top-1 layer per prompt (prompts that reach top-1)", xs, mean, "layer", -1, top),
            mean.Sum(s => s.Values.Count(v => !double.IsNaN(v))) + 1, lensTable));

        var all = r.Attribution.Where(a => a.Depth == 0).ToList();
        var dla = new List<Series>
        {
            new("attention", Over(steps, all, a => a.Step, a => a.Attn)), new("MLP", Over(steps, all, a => a.Step, a => a.Mlp)),
            new("embed", Over(steps, all, a => a.Step, a => a.Embed)), new("logit diff", Over(steps, all, a => a.Step, a => a.MeanLogitDiff)),
        };
        sb.Append("<h3>Direct logit attribution: attention vs MLP</h3><p>Mean contribution of all attention layers and all MLP layers to label − counterfactual at the final position (all depths; per depth in the table and attribution.csv).</p>");
        sb.Append(Figure(Svg.Lines("attribution to the logit difference over training", xs, dla, "logit diff"), dla.Sum(s => s.Values.Count(v => !double.IsNaN(v))),
            Table(["step", "depth", "n", "attention", "MLP", "embed", "logit diff", "max |Σ − actual|"],
                r.Attribution.Select(a => new[] { $"{a.Step}", D(a.Depth), $"{a.N}", N(a.Attn), N(a.Mlp), N(a.Embed), N(a.MeanLogitDiff), a.MaxAbsError.ToString("0.###e+0", CultureInfo.InvariantCulture) }))));

        sb.Append(Heads(r, steps, xs));
        return sb.Append("</section>").ToString();
    }

    /// <summary>One value per step (NaN where a step has no row).</summary>
    static List<double> Over<T>(IReadOnlyList<long> steps, IEnumerable<T> rows, Func<T, long> step, Func<T, double> value)
    {
        var byStep = rows.GroupBy(step).ToDictionary(g => g.Key, g => value(g.First()));
        return steps.Select(s => byStep.TryGetValue(s, out var v) ? v : double.NaN).ToList();
    }

    static string Heads(ParensDynamicsResult r, List<long> steps, List<string> xs)
    {
        var sb = new StringBuilder($"<h3>Counting heads (already-closed prompts) and whether they persist</h3><p>Score = max(correct rate, closed rate) · |corr(attention to \")\", closed count)|, as in the single-model study. " +
            $"The top {r.Info.TopK} heads of each step are compared with the final checkpoint's top {r.Info.TopK} (Jaccard index |A ∩ B| / |A ∪ B|) and with the previous step's.</p>");
        if (r.Heads.Count == 0) return sb.Append("<p class=\"note\">No counting heads were scored.</p>").ToString();
        var finalTop = r.Heads.Where(h => h.Step == steps[^1] && h.Top).OrderBy(h => h.Rank).ToList();
        var series = finalTop.Select(t => new Series($"L{t.Layer}H{t.Head}", Over(steps, r.Heads.Where(h => h.Layer == t.Layer && h.Head == t.Head), h => h.Step, h => h.Score))).ToList();
        sb.Append(Figure(Svg.Lines($"score of the final checkpoint's top {finalTop.Count} heads over training", xs, series, "counting score", 0),
            series.Sum(s => s.Values.Count(v => !double.IsNaN(v))), Table(["step", "rank", "head", "score", "correct", "closed", "corr(attn, c)", "verdict"],
                r.Heads.Where(h => h.Top).Select(h => new[] { $"{h.Step}", $"{h.Rank}", $"L{h.Layer}H{h.Head}", N(h.Score), N(h.CorrectRate), N(h.ClosedRate), N(h.CorrAttnClosed), h.Verdict })) +
                "<p>(top heads of each step; every head in heads.csv)</p>"));
        var p = r.Persistence;
        var jac = new List<Series>
        {
            new("Jaccard with final", Over(steps, p, x => x.Step, x => x.JaccardFinal)),
            new("Jaccard with previous", Over(steps, p, x => x.Step, x => x.JaccardPrevious)),
        };
        sb.Append(Figure(Svg.Lines($"top-{r.Info.TopK} counting-head set: overlap across training", xs, jac, "Jaccard", 0, 1), jac.Sum(s => s.Values.Count(v => !double.IsNaN(v))),
            Table(["step", "top heads (by rank)", "in final top set", "Jaccard with final", "Jaccard with previous"],
                p.Select(x => new[] { $"{x.Step}", x.TopHeads, $"{x.OverlapWithFinal}", N(x.JaccardFinal), N(x.JaccardPrevious) }))));
        return sb.ToString();
    }
}
