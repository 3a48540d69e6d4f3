// Sections 4–6 of the parens HTML report (attention by role, counting heads, ablation) and the attention viewer.
using System.Globalization;
using System.Text;
using SharpLens.Analysis.Parens;
using static SharpLens.Reports.ParensHtml;

namespace SharpLens.Reports;

internal static class ParensHtmlParts
{
    static string N(double v, string f = "0.###") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);

    public static string Attention(ParensStudyResult r)
    {
        var rows = r.AttentionByRole;
        var cats = rows.Select(x => $"L{x.Layer}H{x.Head}").ToList();
        var roles = new (string Name, Func<RoleAttentionRow, double> Get)[]
        {
            ("(", x => x.OpenParen), (")", x => x.CloseParen), ("str", x => x.Str), ("digits", x => x.Digits), ("print", x => x.Print), ("other", x => x.Other),
        };
        return "<h2>4. Where the top heads attend (final position, by token role)</h2><p>Heads ranked by |mean attribution|; mean attention mass per role over all prompts.</p>" +
            Figure(Svg.Bars("attention from the final position by token role", cats, roles.Select(ro => new Series(ro.Name, rows.Select(ro.Get).ToList())).ToList(), "attention mass", stacked: true, min: 0, max: 1),
                rows.Count * roles.Length, Table(["head", "attribution", "(", ")", "str", "digits", "print", "other"],
                    rows.Select(x => new[] { $"L{x.Layer}H{x.Head}", N(x.Attribution), N(x.OpenParen), N(x.CloseParen), N(x.Str), N(x.Digits), N(x.Print), N(x.Other) })));
    }

    public static string Counting(ParensStudyResult r)
    {
        var i = r.Info;
        var sb = new StringBuilder("<h2>5. Counting heads (already-closed prompts)</h2>");
        sb.Append($"<p>Each head's final-position output, through the final norm's scale, projected on the unembedding of the paren tokens {string.Join(" ", i.ParenTokens.Zip(i.ParenTokenIds, (t, id) => $"'{t}' ({id})"))}. " +
            "<i>correct</i>: the missing count's token ranks best of them; <i>closed</i>: the already-closed count's token ranks best (prompts with c ≠ d); " +
            "corr: Pearson correlation of the head's attention to ')' tokens with c. Score = max(correct, closed) · |corr|.</p>");
        if (r.CountingHeads.Count == 0) return sb.Append("<p>No already-closed prompts were analysed.</p>").ToString();
        sb.Append(Figure(HeadMap("counting score per head", r.CountingHeads.Select(c => (c.Layer, c.Head, c.Score)), i.NLayers, i.NHeads, false, "score"),
            r.CountingHeads.Count, Table(["rank", "head", "n", "correct", "closed", "mean attn to )", "corr(attn, c)", "score", "verdict"],
                r.CountingHeads.Take(30).Select(c => new[] { $"{c.Rank}", $"L{c.Layer}H{c.Head}", $"{c.N}", N(c.CorrectRate), N(c.ClosedRate), N(c.MeanAttnToClose), N(c.CorrAttnClosed), N(c.Score), c.Verdict }))));
        sb.Append(Table(["rank", "head", "correct", "closed", "corr(attn, c)", "score", "verdict"],
            r.CountingHeads.Take(15).Select(c => new[] { $"{c.Rank}", $"L{c.Layer}H{c.Head}", N(c.CorrectRate), N(c.ClosedRate), N(c.CorrAttnClosed), N(c.Score), c.Verdict })));
        return sb.ToString();
    }

    public static string Ablation(ParensStudyResult r)
    {
        var i = r.Info;
        var sb = new StringBuilder("<h2>6. Ablation</h2><p>Zero- and mean-ablation (mean over the ablation prompts of the same depth at each position) of every head (hook_z), " +
            "attention output and MLP output; change in greedy accuracy and mean logit difference against the clean run of the same prompts.</p>");
        foreach (var mode in new[] { "zero", "mean" })
        {
            var heads = r.Ablation.Where(a => a.Depth == 0 && a.Mode == mode && a.Kind == "head").ToList();
            sb.Append(Figure(HeadMap($"{mode}-ablation of each head: Δ accuracy", heads.Select(a => (a.Layer, a.Head, a.DeltaAccuracy)), i.NLayers, i.NHeads, true, "Δ accuracy"),
                heads.Count, Table(["head", "Δ accuracy", "Δ logit diff", "improves"], heads.Select(a => new[] { a.Target, N(a.DeltaAccuracy), N(a.DeltaLogitDiff), a.ImprovesAccuracy ? "yes" : "" }))));
            sb.Append(Figure(HeadMap($"{mode}-ablation of each head: Δ logit diff", heads.Select(a => (a.Layer, a.Head, a.DeltaLogitDiff)), i.NLayers, i.NHeads, true, "Δ logit diff"),
                heads.Count, Table(["head", "Δ logit diff", "mean logit diff"], heads.Select(a => new[] { a.Target, N(a.DeltaLogitDiff), N(a.MeanLogitDiff) }))));
            var layers = Enumerable.Range(0, i.NLayers).ToList();
            double Get(string kind, int l, Func<AblationRow, double> f) => r.Ablation.FirstOrDefault(a => a.Depth == 0 && a.Mode == mode && a.Kind == kind && a.Layer == l) is { } a ? f(a) : double.NaN;
            sb.Append(Figure(Svg.Bars($"{mode}-ablation of layers: Δ logit diff", layers.Select(l => $"L{l}").ToList(),
                [new Series("attention", layers.Select(l => Get("attn", l, a => a.DeltaLogitDiff)).ToList()), new Series("MLP", layers.Select(l => Get("mlp", l, a => a.DeltaLogitDiff)).ToList())], "Δ logit diff"),
                layers.Count * 2, Table(["layer", "attn Δ acc", "attn Δ logit diff", "MLP Δ acc", "MLP Δ logit diff"],
                    layers.Select(l => new[] { $"{l}", N(Get("attn", l, a => a.DeltaAccuracy)), N(Get("attn", l, a => a.DeltaLogitDiff)), N(Get("mlp", l, a => a.DeltaAccuracy)), N(Get("mlp", l, a => a.DeltaLogitDiff)) }))));
        }
        var flagged = r.Ablation.Where(a => a.Kind == "head" && a.ImprovesAccuracy).OrderBy(a => a.Depth).ThenByDescending(a => a.DeltaAccuracy).ToList();
        sb.Append("<h3>Heads whose removal improves accuracy</h3>").Append(flagged.Count == 0 ? "<p>None.</p>" :
            Table(["head", "mode", "depth", "n", "accuracy", "Δ accuracy", "Δ logit diff"], flagged.Select(a => new[] { a.Target, a.Mode, a.Depth == 0 ? "all" : $"{a.Depth}", $"{a.N}", N(a.Accuracy), N(a.DeltaAccuracy), N(a.DeltaLogitDiff) })));
        return sb.ToString();
    }

    public static string Viewer(ParensStudyResult r)
    {
        if (r.Viewer.Count == 0) return "<h2>7. Attention viewer</h2><p>No prompts.</p>";
        var data = r.Viewer.Select(v => new
        {
            id = v.Id, depth = v.Depth, label = v.Label, predicted = v.Predicted, tokens = v.Tokens, roles = v.Roles,
            att = v.Attention.Select(l => l.Select(h => h.Select(x => Math.Round(x, 3)).ToArray()).ToArray()).ToArray(),
        }).ToList();
        const string js = """
            (function(){
              const V = JSON.parse(document.getElementById('viewer-data').textContent);
              const P = document.getElementById('v-prompt'), L = document.getElementById('v-layer'), H = document.getElementById('v-head'), O = document.getElementById('v-out');
              V.forEach((p, i) => P.add(new Option(p.id + ' (depth ' + p.depth + ', label ' + p.label + ')', i)));
              const nl = V[0].att.length, nh = V[0].att[0].length;
              for (let l = 0; l < nl; l++) L.add(new Option('layer ' + l, l));
              for (let h = 0; h < nh; h++) H.add(new Option('head ' + h, h));
              const esc = s => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\n/g, '\u23ce');
              function draw() {
                const p = V[+P.value], row = p.att[+L.value][+H.value], mx = Math.max(...row, 1e-9);
                O.innerHTML = p.tokens.map((t, i) => '<span class="tok" title="' + p.roles[i] + ': ' + row[i].toFixed(3) + '" style="background:rgba(214,39,40,' + (row[i] / mx).toFixed(3) + ')">' + esc(t) + '</span>').join('') +
                  '<p>the model predicts ' + esc(p.predicted) + ' (label ' + esc(p.label) + ')' + '; darkest = ' + mx.toFixed(3) + ' of the attention</p>';
              }
              [P, L, H].forEach(e => e.addEventListener('change', draw));
              draw();
            })();
            """;
        return "<h2>7. Attention viewer</h2><p>Pick a prompt, layer and head: tokens are shaded by the final position's attention to them (hover for the value).</p>" +
            "<div id=\"viewer\"><select id=\"v-prompt\"></select> <select id=\"v-layer\"></select> <select id=\"v-head\"></select><div id=\"v-out\" style=\"margin-top:.5em\"></div></div>" +
            $"<script type=\"application/json\" id=\"viewer-data\">{JsonData(data)}</script><script>{js}</script>";
    }
}
