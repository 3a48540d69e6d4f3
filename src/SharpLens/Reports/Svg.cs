// Minimal inline-SVG charts (lines with intervals, grouped bars, stacked bars, heatmaps) for self-contained HTML reports.
using System.Globalization;
using System.Net;
using System.Text;

namespace SharpLens.Reports;

/// <summary>One line or bar series; <see cref="Lo"/>/<see cref="Hi"/> draw a shaded interval for lines.</summary>
internal sealed record Series(string Name, IReadOnlyList<double> Values, IReadOnlyList<double>? Lo = null, IReadOnlyList<double>? Hi = null);

/// <summary>
/// SVG figures with no external references (no xmlns URL, fonts or scripts). Every mark carries a &lt;title&gt; with
/// its value so hovering shows the number. NaN values are skipped.
/// </summary>
internal static partial class Svg
{
    static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
    const int W = 640, H = 300, L = 56, R = 140, T = 28, B = 46;

    public static string Color(int i) => Palette[i % Palette.Length];
    static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    public static string Num(double v) => double.IsNaN(v) ? "NaN" : v.ToString("0.####", CultureInfo.InvariantCulture);
    static string E(string s) => WebUtility.HtmlEncode(s);

    static (double Lo, double Hi) Range(IEnumerable<double> values, double? min, double? max)
    {
        var v = values.Where(x => !double.IsNaN(x) && !double.IsInfinity(x)).ToList();
        double lo = min ?? (v.Count == 0 ? 0 : Math.Min(0, v.Min())), hi = max ?? (v.Count == 0 ? 1 : Math.Max(0, v.Max()));
        if (hi - lo < 1e-9) { hi = lo + 1; }
        return (lo, hi);
    }

    static void Frame(StringBuilder sb, string title, string yLabel, double lo, double hi, Func<double, double> y)
    {
        sb.Append($"<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\"><title>{E(title)}</title>");
        sb.Append($"<text x=\"{L}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{E(title)}</text>");
        for (int i = 0; i <= 4; i++)
        {
            double v = lo + (hi - lo) * i / 4, yy = y(v);
            sb.Append($"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{F(yy)}\" y2=\"{F(yy)}\" stroke=\"#ddd\"/><text x=\"{L - 4}\" y=\"{F(yy + 4)}\" font-size=\"10\" text-anchor=\"end\">{Num(v)}</text>");
        }
        if (lo < 0 && hi > 0) sb.Append($"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{F(y(0))}\" y2=\"{F(y(0))}\" stroke=\"#888\"/>");
        sb.Append($"<text x=\"12\" y=\"{(T + H - B) / 2}\" font-size=\"11\" transform=\"rotate(-90 12 {(T + H - B) / 2})\" text-anchor=\"middle\">{E(yLabel)}</text>");
    }

    static void XLabels(StringBuilder sb, IReadOnlyList<string> labels, Func<int, double> x)
    {
        int step = Math.Max(1, labels.Count / 16);
        for (int i = 0; i < labels.Count; i += step)
            sb.Append($"<text x=\"{F(x(i))}\" y=\"{H - B + 14}\" font-size=\"9\" text-anchor=\"end\" transform=\"rotate(-35 {F(x(i))} {H - B + 14})\">{E(labels[i])}</text>");
    }

    static void Legend(StringBuilder sb, IReadOnlyList<string> names)
    {
        for (int i = 0; i < names.Count; i++)
            sb.Append($"<rect x=\"{W - R + 10}\" y=\"{T + i * 16}\" width=\"10\" height=\"10\" fill=\"{Color(i)}\"/><text x=\"{W - R + 24}\" y=\"{T + i * 16 + 9}\" font-size=\"11\">{E(names[i])}</text>");
    }

    /// <summary>Lines over categorical x positions, with shaded intervals where given.</summary>
    public static string Lines(string title, IReadOnlyList<string> x, IReadOnlyList<Series> series, string yLabel, double? min = null, double? max = null)
    {
        var (lo, hi) = Range(series.SelectMany(s => s.Values.Concat(s.Lo ?? []).Concat(s.Hi ?? [])), min, max);
        double X(int i) => L + (x.Count <= 1 ? 0 : (W - L - R) * i / (double)(x.Count - 1));
        double Y(double v) => T + (H - T - B) * (1 - (Math.Clamp(v, lo, hi) - lo) / (hi - lo));
        var sb = new StringBuilder();
        Frame(sb, title, yLabel, lo, hi, Y);
        for (int s = 0; s < series.Count; s++)
        {
            var ser = series[s];
            var idx = Enumerable.Range(0, ser.Values.Count).Where(i => !double.IsNaN(ser.Values[i])).ToList();
            foreach (var run in Runs(idx))                                                   // a NaN breaks the line: no value is drawn between its neighbours
            {
                if (ser.Lo is not null && ser.Hi is not null)
                {
                    var band = run.Select(i => $"{F(X(i))},{F(Y(ser.Hi[i]))}").Concat(run.AsEnumerable().Reverse().Select(i => $"{F(X(i))},{F(Y(ser.Lo[i]))}"));
                    sb.Append($"<polygon points=\"{string.Join(" ", band)}\" fill=\"{Color(s)}\" fill-opacity=\"0.15\" stroke=\"none\"/>");
                }
                sb.Append($"<polyline points=\"{string.Join(" ", run.Select(i => $"{F(X(i))},{F(Y(ser.Values[i]))}"))}\" fill=\"none\" stroke=\"{Color(s)}\" stroke-width=\"1.8\"/>");
            }
            foreach (var i in idx)
                sb.Append($"<circle cx=\"{F(X(i))}\" cy=\"{F(Y(ser.Values[i]))}\" r=\"2.5\" fill=\"{Color(s)}\"><title>{E(ser.Name)} @ {E(x[i])}: {Num(ser.Values[i])}</title></circle>");
        }
        XLabels(sb, x, X);
        Legend(sb, series.Select(s => s.Name).ToList());
        return sb.Append("</svg>").ToString();
    }

    /// <summary>Runs of consecutive indices with at least two points (a lone point is drawn as its circle only).</summary>
    static IEnumerable<List<int>> Runs(List<int> idx)
    {
        var run = new List<int>();
        foreach (var i in idx)
        {
            if (run.Count > 0 && i != run[^1] + 1) { if (run.Count > 1) yield return run; run = []; }
            run.Add(i);
        }
        if (run.Count > 1) yield return run;
    }

    /// <summary>Grouped (side-by-side) or stacked bars over categories.</summary>
    public static string Bars(string title, IReadOnlyList<string> categories, IReadOnlyList<Series> series, string yLabel, bool stacked = false, double? min = null, double? max = null)
    {
        var totals = stacked ? Enumerable.Range(0, categories.Count).Select(i => series.Sum(s => double.IsNaN(s.Values[i]) ? 0 : s.Values[i])) : series.SelectMany(s => s.Values);
        var (lo, hi) = Range(totals, min, max);
        double Y(double v) => T + (H - T - B) * (1 - (Math.Clamp(v, lo, hi) - lo) / (hi - lo));
        double slot = (W - L - R) / (double)Math.Max(1, categories.Count);
        double X(int i) => L + slot * (i + 0.5);
        var sb = new StringBuilder();
        Frame(sb, title, yLabel, lo, hi, Y);
        for (int i = 0; i < categories.Count; i++)
        {
            double baseline = 0;
            for (int s = 0; s < series.Count; s++)
            {
                double v = series[s].Values[i];
                if (double.IsNaN(v)) continue;
                double bw = stacked ? slot * 0.7 : slot * 0.8 / series.Count;
                double x0 = stacked ? X(i) - bw / 2 : L + slot * i + slot * 0.1 + bw * s;
                double a = stacked ? baseline : 0, b = stacked ? baseline + v : v;
                double y0 = Y(Math.Max(a, b)), y1 = Y(Math.Min(a, b));
                sb.Append($"<rect x=\"{F(x0)}\" y=\"{F(y0)}\" width=\"{F(Math.Max(bw, 0.5))}\" height=\"{F(Math.Max(y1 - y0, 0.5))}\" fill=\"{Color(s)}\"><title>{E(series[s].Name)} @ {E(categories[i])}: {Num(v)}</title></rect>");
                if (stacked) baseline += v;
            }
        }
        XLabels(sb, categories, X);
        Legend(sb, series.Select(s => s.Name).ToList());
        return sb.Append("</svg>").ToString();
    }

    /// <summary>A rows × columns heatmap; diverging (blue − / red +, symmetric scale) or sequential (white → blue).</summary>
    public static string Heatmap(string title, IReadOnlyList<string> rows, IReadOnlyList<string> cols, double[,] values, bool diverging, string valueLabel)
    {
        double absMax = 1e-12, vmin = double.MaxValue, vmax = double.MinValue;
        foreach (var v in values) if (!double.IsNaN(v)) { absMax = Math.Max(absMax, Math.Abs(v)); vmin = Math.Min(vmin, v); vmax = Math.Max(vmax, v); }
        if (vmin > vmax) { vmin = 0; vmax = 1; }
        int cell = Math.Clamp(480 / Math.Max(cols.Count, 1), 6, 36), ch = Math.Clamp(360 / Math.Max(rows.Count, 1), 6, 28);
        int w = 70 + cell * cols.Count + 120, h = 40 + ch * rows.Count + 30;
        var sb = new StringBuilder($"<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\"><title>{E(title)}</title>");
        sb.Append($"<text x=\"70\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{E(title)}</text>");
        string Fill(double v)
        {
            if (double.IsNaN(v)) return "#eee";
            double t = diverging ? v / absMax : (v - vmin) / Math.Max(vmax - vmin, 1e-12);
            int r, g, b;
            if (diverging && t < 0) { r = (int)(255 * (1 + t)); g = (int)(255 * (1 + t * 0.6)); b = 255; }
            else if (diverging) { r = 255; g = (int)(255 * (1 - t * 0.8)); b = (int)(255 * (1 - t)); }
            else { r = (int)(255 * (1 - t * 0.9)); g = (int)(255 * (1 - t * 0.6)); b = 255; }
            return $"rgb({Math.Clamp(r, 0, 255)},{Math.Clamp(g, 0, 255)},{Math.Clamp(b, 0, 255)})";
        }
        for (int i = 0; i < rows.Count; i++)
        {
            sb.Append($"<text x=\"64\" y=\"{40 + ch * i + ch / 2 + 4}\" font-size=\"10\" text-anchor=\"end\">{E(rows[i])}</text>");
            for (int j = 0; j < cols.Count; j++)
                sb.Append($"<rect x=\"{70 + cell * j}\" y=\"{40 + ch * i}\" width=\"{cell}\" height=\"{ch}\" fill=\"{Fill(values[i, j])}\" stroke=\"#fff\" stroke-width=\"0.5\"><title>{E(rows[i])}, {E(cols[j])}: {Num(values[i, j])}</title></rect>");
        }
        int colStep = Math.Max(1, cols.Count / 32);
        for (int j = 0; j < cols.Count; j += colStep)
            sb.Append($"<text x=\"{70 + cell * j + cell / 2}\" y=\"34\" font-size=\"9\" text-anchor=\"middle\">{E(cols[j])}</text>");
        string lo = diverging ? Num(-absMax) : Num(vmin), hi = diverging ? Num(absMax) : Num(vmax);
        int lx = 70 + cell * cols.Count + 16;
        sb.Append($"<rect x=\"{lx}\" y=\"40\" width=\"12\" height=\"12\" fill=\"{Fill(diverging ? -absMax : vmin)}\"/><text x=\"{lx + 16}\" y=\"50\" font-size=\"10\">{lo}</text>");
        sb.Append($"<rect x=\"{lx}\" y=\"58\" width=\"12\" height=\"12\" fill=\"{Fill(diverging ? absMax : vmax)}\"/><text x=\"{lx + 16}\" y=\"68\" font-size=\"10\">{hi}</text>");
        sb.Append($"<text x=\"{lx}\" y=\"86\" font-size=\"10\">{E(valueLabel)}</text>");
        return sb.Append("</svg>").ToString();
    }
}
