// HTML fragments for a model's summary and an activation cache, and the frame every notebook view is drawn in (scoped
// CSS, so a view never restyles the page around it) with its error form.
using System.Globalization;
using System.Net;
using System.Text;

namespace SharpLens.Reports;

/// <summary>Fragments (not pages) for notebooks and reports; the page renderers' bodies are in their own classes.</summary>
public static class ViewHtml
{
    static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>The report stylesheet scoped to <c>.sharplens</c>.</summary>
    public const string Css =
        ".sharplens{font-family:system-ui,sans-serif;color:#222}" +
        ".sharplens table{border-collapse:collapse;font-size:12px;margin:.5em 0}.sharplens td,.sharplens th{border:1px solid #ccc;padding:2px 6px;text-align:right}" +
        ".sharplens th{background:#f3f3f3}.sharplens td:first-child,.sharplens th:first-child{text-align:left}.sharplens figure{margin:.5em 0}.sharplens details{font-size:12px}" +
        ".sharplens .tok{display:inline-block;padding:2px 3px;margin:1px;border:1px solid #ddd;font-family:monospace;white-space:pre;cursor:default}.sharplens td.tok{display:table-cell}" +
        ".sharplens .note{background:#fff8e1;padding:.4em .8em;border-left:3px solid #f0b400}.sharplens h2{font-size:1.1em;border-bottom:1px solid #ddd;padding-bottom:.2em}" +
        ".sharplens .grid{display:flex;flex-wrap:wrap;gap:4px}.sharplens .grid svg{width:480px;height:auto}" +
        ".sharplens-error{background:#fdecea;border-left:4px solid #d62728;padding:.5em .8em;font-family:system-ui,sans-serif}";

    /// <summary>A token's text with line breaks and tabs shown as \n and \t (a token box of bare whitespace looks empty).</summary>
    public static string Visible(string token) => token.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\t", "\\t");

    /// <summary>A view: a bold heading and the body inside a <c>div.sharplens</c> with the scoped stylesheet.</summary>
    public static string Frame(string heading, string body) =>
        $"<div class=\"sharplens\"><style>{Css}</style><p><b>{E(heading)}</b></p>{body}</div>";

    /// <summary>What a notebook shows instead of a view that cannot be drawn: one line naming the object and the reason.</summary>
    public static string Error(string what, string message) =>
        $"<div class=\"sharplens sharplens-error\"><style>{Css}</style><b>SharpLens cannot display this {E(what)}:</b> {E(message)}</div>";

    /// <summary>A model: architecture, size, dimensions, how it was loaded, and the hook catalogue (name and shape).</summary>
    public static string Model(ModelSummary s)
    {
        var sb = new StringBuilder($"<p>{s.Parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters, {E(s.DType)}, " +
            $"{(s.ParameterBytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture)} MiB.</p>");
        sb.Append(ParensHtml.Table(["dimension", "value"], s.Dimensions.Select(kv => new[] { kv.Key, Convert.ToString(kv.Value, CultureInfo.InvariantCulture) ?? "" })));
        if (s.Load is not null) sb.Append($"<p class=\"note\">{E(s.Load)}</p>");
        sb.Append($"<details><summary>hook catalogue: {s.Hooks.Count} hooks</summary>")
          .Append(ParensHtml.Table(["hook", "shape"], s.Hooks.Select(h => new[] { h.Name, h.Shape }))).Append("</details>");
        return sb.ToString();
    }

    /// <summary>A cache: every cached name with its shape and dtype, and the logits.</summary>
    public static string Cache(CacheSummary c)
    {
        var sb = new StringBuilder($"<p>{c.Tensors.Count} activations" + (c.Logits is null ? "" : $"; logits {E(c.Logits.Shape)} {E(c.Logits.DType)}") + ".</p>");
        sb.Append(ParensHtml.Table(["hook", "shape", "dtype"], c.Tensors.Select(t => new[] { t.Name, t.Shape, t.DType })));
        return sb.ToString();
    }
}
