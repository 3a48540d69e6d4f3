// An attention pattern as a token-by-token view: hover a token to see where it attends (inline script, no URLs), with
// a static heatmap of the mean over heads beneath it for readers without scripts.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace SharpLens.Reports;

/// <summary>
/// One layer's attention weights for one sequence: <see cref="Weights"/>[head][query][key], with the tokens' display
/// text (queries and keys are the same positions).
/// </summary>
public sealed record AttentionPattern(string Title, IReadOnlyList<string> Tokens, float[][][] Weights)
{
    /// <summary>
    /// Copies a pattern tensor — [batch, head, query, key] (a cached <c>hook_pattern</c>; <paramref name="batch"/> picks
    /// the sequence), [head, query, key] or [query, key] — into a record. Throws <see cref="ObjectDisposedException"/> for
    /// a disposed tensor and <see cref="ArgumentException"/> for another rank, a non-square pattern, or a token count
    /// that differs from the pattern's positions; <paramref name="tokens"/> null labels positions by number.
    /// </summary>
    public static AttentionPattern From(Tensor pattern, IReadOnlyList<string>? tokens, string title = "attention pattern", int batch = 0)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.IsInvalid) throw new ObjectDisposedException("pattern", "the attention pattern tensor has been disposed (was the ActivationCache it came from disposed?)");
        var shape = pattern.shape;
        string Shape() => "[" + string.Join(", ", shape) + "]";
        if (shape.Length is < 2 or > 4)
            throw new ArgumentException($"expected an attention pattern [batch, head, query, key], [head, query, key] or [query, key], found a tensor of rank {shape.Length} {Shape()}");
        if (shape.Length == 4 && (batch < 0 || batch >= shape[0]))
            throw new ArgumentException($"batch {batch} is outside the pattern's {shape[0]} sequences {Shape()}");
        if (shape[^1] != shape[^2])
            throw new ArgumentException($"expected as many keys as queries (a self-attention pattern), found {shape[^2]} queries and {shape[^1]} keys {Shape()}");
        int n = (int)shape[^1];
        if (tokens is not null && tokens.Count != n)
            throw new ArgumentException($"the pattern has {n} positions {Shape()} but {tokens.Count} tokens were given");
        using var scope = NewDisposeScope();
        var t = shape.Length switch { 4 => pattern[batch], 3 => pattern, _ => pattern.unsqueeze(0) };
        var data = t.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        int heads = (int)t.shape[0];
        var w = new float[heads][][];
        for (int h = 0; h < heads; h++)
        {
            w[h] = new float[n][];
            for (int q = 0; q < n; q++) w[h][q] = data.AsSpan((h * n + q) * n, n).ToArray();
        }
        return new AttentionPattern(title, tokens ?? Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList(), w);
    }
}

/// <summary>Renders an <see cref="AttentionPattern"/>.</summary>
public static class AttentionHtml
{
    static string E(string s) => WebUtility.HtmlEncode(s);
    static int next;

    const string Script = """
        (function(){var root=document.getElementById('ID');if(!root)return;
        var d=JSON.parse(root.querySelector('script.sl-data').textContent),sel=root.querySelector('select'),
        toks=root.querySelectorAll('.sl-q'),info=root.querySelector('.sl-info');
        function w(h,q,k){if(h>=0)return d.w[h][q][k];var s=0;for(var i=0;i<d.w.length;i++)s+=d.w[i][q][k];return s/d.w.length;}
        function clear(){toks.forEach(function(t){t.style.background='';t.style.outline='';});info.textContent=d.hint;}
        function show(q){var h=+sel.value,row=[],max=1e-9;for(var k=0;k<toks.length;k++){row.push(w(h,q,k));max=Math.max(max,row[k]);}
        toks.forEach(function(t,k){t.style.background='rgba(214,39,40,'+(row[k]/max).toFixed(3)+')';t.title='query '+q+' → key '+k+': '+row[k].toFixed(4);});
        toks[q].style.outline='2px solid #1f77b4';
        var top=row.map(function(v,k){return [v,k];}).sort(function(a,b){return b[0]-a[0];}).slice(0,3);
        info.textContent='position '+q+' '+JSON.stringify(d.t[q])+' attends to: '+top.map(function(p){return p[1]+' '+JSON.stringify(d.t[p[1]])+' '+p[0].toFixed(3);}).join(', ');}
        toks.forEach(function(t,i){t.addEventListener('mouseenter',function(){show(i);});t.addEventListener('mouseleave',clear);});
        sel.addEventListener('change',clear);clear();})();
        """;

    /// <summary>
    /// The tokens as a row of boxes: hovering one shades every token by the weight it attends to it with (head chosen
    /// in the selector, or the mean over heads), and names the top three. Below: the mean pattern over heads as a
    /// query × key heatmap (no script needed).
    /// </summary>
    public static string Render(AttentionPattern p)
    {
        int heads = p.Weights.Length, n = p.Tokens.Count;
        if (heads == 0) throw new ArgumentException("the attention pattern has no heads");
        string id = $"sl-att-{Interlocked.Increment(ref next)}-{Guid.NewGuid():N}"[..24];
        var data = JsonSerializer.Serialize(new
        {
            t = p.Tokens,
            w = p.Weights.Select(h => h.Select(r => r.Select(v => Math.Round(v, 4)).ToArray()).ToArray()).ToArray(),
            hint = "hover a token to see where it attends",
        });   // the default encoder escapes <, > and & as \u003C…, so the data cannot close its script element
        var sb = new StringBuilder($"<div class=\"sl-attention\" id=\"{id}\"><p><b>{E(p.Title)}</b> ({heads} heads, {n} tokens). Head: <select>");
        sb.Append("<option value=\"-1\">mean over heads</option>");
        for (int h = 0; h < heads; h++) sb.Append($"<option value=\"{h}\">{h}</option>");
        sb.Append("</select></p><p class=\"sl-tokens\">");
        for (int i = 0; i < n; i++) sb.Append($"<span class=\"tok sl-q\" data-pos=\"{i}\">{E(ViewHtml.Visible(p.Tokens[i]))}</span>");
        sb.Append("</p><p class=\"sl-info note\">hover a token to see where it attends</p>");
        var mean = new double[n, n];
        for (int q = 0; q < n; q++) for (int k = 0; k < n; k++) mean[q, k] = p.Weights.Average(h => h[q][k]);
        var rows = p.Tokens.Select((t, i) => $"{i}:{ViewHtml.Visible(t)}").ToList();
        var cols = Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();   // keys by position: token labels overlap
        sb.Append("<details open><summary>mean over heads (query × key position)</summary>")
          .Append(Svg.Heatmap($"{p.Title}: mean over heads", rows, cols, mean, false, "attention weight")).Append("</details>");
        sb.Append($"<script type=\"application/json\" class=\"sl-data\">{data}</script>");
        sb.Append("<script>").Append(Script.Replace("'ID'", $"'{id}'")).Append("</script></div>");
        return sb.ToString();
    }
}
