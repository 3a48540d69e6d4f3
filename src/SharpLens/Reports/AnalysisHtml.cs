// Self-contained HTML (inline CSS and SVG, no scripts or URLs) for the lens, attribution and patching reports: each page is
// a header plus a body fragment, and the fragments are what notebooks display (SharpLens.Interactive).
using System.Globalization;
using System.Net;
using System.Text;
using SharpLens.Analysis;

namespace SharpLens.Reports;

/// <summary>Token-level views: which positions, layers and heads matter. Every figure is followed by its numbers.</summary>
public static class AnalysisHtml
{
    static string E(string s) => WebUtility.HtmlEncode(s);
    static string N(double v, string f = "0.###") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);

    static StringBuilder Page(string title, PromptInput i) =>
        new StringBuilder($"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SharpLens {E(title)}</title><style>{ParensHtml.Css}code{{font-family:monospace}}</style></head><body>")
            .Append($"<h1>{E(title)}</h1>").Append(Prompt(i));

    /// <summary>The model, the prompt's tokens (hover: position), the answer and foil, and the notes.</summary>
    public static string Prompt(PromptInput i)
    {
        var sb = new StringBuilder($"<p>Model <code>{E(i.Model)}</code> ({E(i.Architecture)}). Prompt ({i.Tokens.Count} tokens): ")
          .Append(string.Join("", i.Tokens.Select((t, k) => $"<span class=\"tok\" title=\"position {k}\" style=\"border:1px solid #ddd;margin:1px\">{E(ViewHtml.Visible(t))}</span>"))).Append("</p>");
        if (i.AnswerId is int a) sb.Append($"<p>Answer <code>{E(i.Answer ?? "")}</code> (id {a})" + (i.FoilId is int f ? $", foil <code>{E(i.Foil ?? "")}</code> (id {f})" : "") + ".</p>");
        foreach (var n in i.Notes) sb.Append($"<p class=\"note\">{E(n)}</p>");
        return sb.ToString();
    }

    static string End(StringBuilder sb) => sb.Append("</body></html>").ToString();

    static string Label(IReadOnlyList<string> tokens, int pos) => pos >= 0 && pos < tokens.Count ? $"{pos}:{ViewHtml.Visible(tokens[pos])}" : $"{pos}";

    /// <summary>The lens as a hook × position grid of top-1 tokens shaded by probability, and the answer across layers.</summary>
    public static string Lens(LensReport r) => End(Page("Logit lens", r.Input).Append(LensBody(r)));

    /// <summary>The lens grid and the answer's curve, without the page around them.</summary>
    public static string LensBody(LensReport r)
    {
        var sb = new StringBuilder();
        string T(int id) => r.TokenText.TryGetValue(id.ToString(CultureInfo.InvariantCulture), out var t) ? ViewHtml.Visible(t) : $"#{id}";
        bool answer = r.Input.AnswerId is not null;
        var hooks = r.Readings.Select(x => x.Hook).Distinct().ToList();
        var positions = r.Readings.Select(x => x.Position).Distinct().OrderBy(p => p).ToList();
        sb.Append("<h2>Top-1 token per layer and position</h2><p>Each residual activation through the model's own final norm and unembedding. Shade: ")
          .Append(answer ? "probability of the answer" : "probability of the top token").Append("; hover a cell for the top-k.</p>");
        sb.Append("<table><tr><th>hook</th>").Append(string.Join("", positions.Select(p => $"<th>{E(Label(r.Input.Tokens, p))}</th>"))).Append("</tr>");
        foreach (var h in hooks)
        {
            sb.Append($"<tr><td>{E(h)}</td>");
            foreach (var p in positions)
            {
                var x = r.Readings.First(q => q.Hook == h && q.Position == p);
                double shade = answer ? x.AnswerProb : x.TopProbs.FirstOrDefault();
                var tip = string.Join(", ", x.TopIds.Zip(x.TopProbs, (id, pr) => $"{T(id)} {N(pr)}")) + (answer ? $"; answer p {N(x.AnswerProb)}, rank {x.AnswerRank}, diff {N(x.LogitDiff)}" : "");
                int g = (int)(255 - 150 * Math.Clamp(shade, 0, 1));
                sb.Append($"<td class=\"tok\" style=\"background:rgb({g},{g},255)\" title=\"{E(tip)}\">{E(T(x.TopIds[0]))}</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</table>");
        if (answer)
        {
            int last = positions[^1];
            var at = hooks.Select(h => r.Readings.First(q => q.Hook == h && q.Position == last)).ToList();
            sb.Append($"<h2>Answer at position {E(Label(r.Input.Tokens, last))}</h2>");
            sb.Append("<figure>").Append(Svg.Lines("answer probability by hook", hooks, [new Series("p(answer)", at.Select(x => x.AnswerProb).ToList())], "probability", 0, 1)).Append("</figure>");
            sb.Append(ParensHtml.Table(["hook", "p(answer)", "rank", "answer − foil"], at.Select(x => new[] { x.Hook, N(x.AnswerProb, "0.####"), $"{x.AnswerRank}", N(x.LogitDiff) })));
        }
        return sb.ToString();
    }

    /// <summary>Attribution: per-layer attention and MLP bars, a layer × head heatmap, the top components, and the sum check.</summary>
    public static string Attribution(AttributionReport r) => End(Page("Direct logit attribution", r.Input).Append(AttributionBody(r)));

    /// <summary>The attribution figures and table, without the page around them.</summary>
    public static string AttributionBody(AttributionReport r)
    {
        var a = r.Attribution;
        var sb = new StringBuilder();
        sb.Append($"<p>At position {E(Label(r.Input.Tokens, r.Position))}. Σ components {N(a.Sum, "0.#####")} vs the model's value {N(a.Actual, "0.#####")} " +
            $"(|error| {a.Error:0.###e+0}). Embeddings {N(a.Embed)}, final-norm bias {N(a.NormBias)}, unembedding bias {N(a.UnembedBias)}.</p>");
        int nl = a.Attn.Length, nh = a.Heads.Length == 0 ? 0 : a.Heads[0].Length;
        var layers = Enumerable.Range(0, nl).Select(l => $"L{l}").ToList();
        sb.Append("<h2>By layer</h2><figure>").Append(Svg.Bars("attribution by layer", layers,
            [new Series("attention", a.Attn), new Series("MLP", a.Mlp)], "logit contribution")).Append("</figure>");
        var grid = new double[nl, nh];
        for (int l = 0; l < nl; l++) for (int h = 0; h < nh; h++) grid[l, h] = a.Heads[l][h];
        sb.Append("<h2>By head</h2><figure>").Append(Svg.Heatmap("attribution by head", layers, Enumerable.Range(0, nh).Select(h => $"H{h}").ToList(), grid, true, "logit contribution")).Append("</figure>");
        var parts = new List<(string Name, double Value)> { ("embed", a.Embed), ("final-norm bias", a.NormBias), ("unembedding bias", a.UnembedBias) };
        for (int l = 0; l < nl; l++)
        {
            for (int h = 0; h < nh; h++) parts.Add(($"L{l}H{h}", a.Heads[l][h]));
            parts.Add(($"L{l} attention bias", a.AttnBias[l]));
            parts.Add(($"L{l} MLP", a.Mlp[l]));
        }
        sb.Append("<h2>Components by |contribution|</h2>").Append(ParensHtml.Table(["component", "contribution"],
            parts.OrderByDescending(p => Math.Abs(p.Value)).Select(p => new[] { p.Name, N(p.Value, "0.####") })));
        return sb.ToString();
    }

    /// <summary>Patching: one layer × position (or layer × head) heatmap per site of the normalized metric, with the raw values.</summary>
    public static string Patch(PatchReport r) => End(Page("Activation patching", r.Input).Append(PatchBody(r)));

    /// <summary>The corrupted prompt and every site's and path's heatmap, without the page around them.</summary>
    public static string PatchBody(PatchReport r)
    {
        var sb = new StringBuilder("<p>Corrupted prompt: ").Append(string.Join("", r.CorruptedTokens.Select((t, k) =>
            $"<span class=\"tok\" style=\"border:1px solid #ddd;margin:1px{(k < r.Input.Tokens.Count && r.Input.Tokens[k] != t ? ";background:#fdd" : "")}\">{E(ViewHtml.Visible(t))}</span>"))).Append("</p>");
        foreach (var p in r.Results) sb.Append(PatchSite(p, r.Input.Tokens));
        foreach (var p in r.Paths) sb.Append(PatchPaths(p));
        return sb.ToString();
    }

    /// <summary>
    /// One site's heatmap of the normalized metric (layer × position or layer × head) and its raw values; positions are
    /// labelled with <paramref name="tokens"/> when given.
    /// </summary>
    public static string PatchSite(PatchResult p, IReadOnlyList<string>? tokens = null)
    {
        var sb = new StringBuilder();
        var rows = Enumerable.Range(0, p.Values.Length).Select(l => $"L{l}").ToList();
        var cols = Enumerable.Range(0, p.Values.Length == 0 ? 0 : p.Values[0].Length)
            .Select(c => p.Columns == "head" ? $"H{c}" : tokens is null ? $"{c}" : Label(tokens, c)).ToList();
        var norm = p.Normalized;
        var grid = new double[rows.Count, cols.Count];
        for (int i = 0; i < rows.Count; i++) for (int j = 0; j < cols.Count; j++) grid[i, j] = norm[i][j];
        sb.Append($"<h2>{E(p.Site)} ({E(p.Mode.ToString().ToLowerInvariant())})</h2><p>Metric clean {N(p.Clean, "0.####")}, corrupted {N(p.Corrupted, "0.####")}; " +
            "shade: (patched − corrupted) / (clean − corrupted), so 1 restores the clean value and 0 leaves the corrupted one.</p>");
        sb.Append("<figure>").Append(Svg.Heatmap($"{p.Site} patched per {p.Columns}", rows, cols, grid, true, "normalized metric")).Append("</figure>");
        sb.Append("<details><summary>raw metric values</summary>").Append(ParensHtml.Table(["layer", .. cols],
            p.Values.Select((v, l) => v.Select(x => N(x, "0.####")).Prepend($"L{l}").ToArray()))).Append("</details>");
        return sb.ToString();
    }

    /// <summary>A path-patching sweep: sender heads × the receiver head's input, normalized as <see cref="PatchSite"/>.</summary>
    public static string PatchPaths(PathPatchResult p)
    {
        var sb = new StringBuilder();
        var rows = Enumerable.Range(0, p.ReceiverLayer).Select(l => $"L{l}").ToList();
        var cols = Enumerable.Range(0, p.Values[0].Length).Select(h => $"H{h}").ToList();
        var grid = new double[rows.Count, cols.Count];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < cols.Count; j++)
                grid[i, j] = p.Clean == p.Corrupted ? double.NaN : (p.Values[i][j] - p.Corrupted) / (p.Clean - p.Corrupted);
        sb.Append($"<h2>Paths into L{p.ReceiverLayer}H{p.ReceiverHead} {E(p.ReceiverInput)} ({E(p.Mode.ToString().ToLowerInvariant())})</h2>" +
            "<p>Each sender head's output reaches only this input of the receiver (other heads frozen, MLPs recomputed). Shade as above.</p>");
        sb.Append("<figure>").Append(Svg.Heatmap($"senders → L{p.ReceiverLayer}H{p.ReceiverHead} {p.ReceiverInput}", rows, cols, grid, true, "normalized metric")).Append("</figure>");
        sb.Append("<details><summary>raw metric values</summary>").Append(ParensHtml.Table(["layer", .. cols],
            p.Values.Take(rows.Count).Select((v, l) => v.Select(x => N(x, "0.####")).Prepend($"L{l}").ToArray()))).Append("</details>");
        return sb.ToString();
    }
}
