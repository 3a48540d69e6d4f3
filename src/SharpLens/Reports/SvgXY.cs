// Numeric-axis SVG figures: lines with vertical markers (magnitude responses) and scatters with arrows (spectral shifts).
using System.Text;

namespace SharpLens.Reports;

/// <summary>A line over numeric x; <see cref="Color"/> indexes the palette; <see cref="Dashed"/> draws it dashed.</summary>
internal sealed record XYSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, int Color, bool Dashed = false);

/// <summary>A vertical line at <see cref="X"/> (e.g. a dominant frequency or a centroid).</summary>
internal sealed record VMarker(double X, string Label, int Color, bool Dashed);

/// <summary>A scatter point; <see cref="Square"/> draws a square instead of a circle.</summary>
internal sealed record XYPoint(double X, double Y, string Label, int Color, bool Square);

/// <summary>An arrow from (X1, Y1) to (X2, Y2).</summary>
internal sealed record XYArrow(double X1, double Y1, double X2, double Y2, string Label, int Color);

internal static partial class Svg
{
    static (double Lo, double Hi) Span(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToList();
        double lo = v.Count == 0 ? 0 : v.Min(), hi = v.Count == 0 ? 1 : v.Max();
        if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
        double pad = (hi - lo) * 0.05;
        return (lo - pad, hi + pad);
    }

    static void XAxis(StringBuilder sb, string xLabel, double lo, double hi, Func<double, double> x)
    {
        for (int i = 0; i <= 5; i++)
        {
            double v = lo + (hi - lo) * i / 5, xx = x(v);
            sb.Append($"<line x1=\"{F(xx)}\" x2=\"{F(xx)}\" y1=\"{T}\" y2=\"{H - B}\" stroke=\"#eee\"/><text x=\"{F(xx)}\" y=\"{H - B + 14}\" font-size=\"10\" text-anchor=\"middle\">{Num(v)}</text>");
        }
        sb.Append($"<text x=\"{(L + W - R) / 2}\" y=\"{H - 8}\" font-size=\"11\" text-anchor=\"middle\">{E(xLabel)}</text>");
    }

    /// <summary>Lines over a numeric x axis with vertical markers; non-finite points are skipped.</summary>
    public static string XY(string title, string xLabel, string yLabel, IReadOnlyList<XYSeries> series, IReadOnlyList<VMarker> markers, double? xMin = null, double? xMax = null)
    {
        var (xlo, xhi) = xMin is double a && xMax is double b ? (a, b) : Span(series.SelectMany(s => s.X));
        var (ylo, yhi) = Span(series.SelectMany(s => s.Y));
        double X(double v) => L + (W - L - R) * (Math.Clamp(v, xlo, xhi) - xlo) / (xhi - xlo);
        double Y(double v) => T + (H - T - B) * (1 - (Math.Clamp(v, ylo, yhi) - ylo) / (yhi - ylo));
        var sb = new StringBuilder();
        Frame(sb, title, yLabel, ylo, yhi, Y);
        XAxis(sb, xLabel, xlo, xhi, X);
        foreach (var s in series)
        {
            var pts = Enumerable.Range(0, s.X.Count).Where(i => double.IsFinite(s.X[i]) && double.IsFinite(s.Y[i])).Select(i => $"{F(X(s.X[i]))},{F(Y(s.Y[i]))}");
            sb.Append($"<polyline points=\"{string.Join(" ", pts)}\" fill=\"none\" stroke=\"{Color(s.Color)}\" stroke-width=\"1.2\"{(s.Dashed ? " stroke-dasharray=\"4 2\"" : "")}><title>{E(s.Name)}</title></polyline>");
        }
        foreach (var m in markers.Where(m => double.IsFinite(m.X)))
            sb.Append($"<line x1=\"{F(X(m.X))}\" x2=\"{F(X(m.X))}\" y1=\"{T}\" y2=\"{H - B}\" stroke=\"{Color(m.Color)}\" stroke-width=\"1.5\"{(m.Dashed ? " stroke-dasharray=\"2 2\"" : "")}><title>{E(m.Label)}: {Num(m.X)}</title></line>");
        var names = series.Select(s => (s.Name, s.Color)).ToList();
        for (int i = 0; i < names.Count; i++)
            sb.Append($"<rect x=\"{W - R + 10}\" y=\"{T + i * 16}\" width=\"10\" height=\"10\" fill=\"{Color(names[i].Color)}\"/><text x=\"{W - R + 24}\" y=\"{T + i * 16 + 9}\" font-size=\"10\">{E(names[i].Name)}</text>");
        sb.Append($"<text x=\"{W - R + 10}\" y=\"{T + names.Count * 16 + 12}\" font-size=\"9\">solid: dominant f</text><text x=\"{W - R + 10}\" y=\"{T + names.Count * 16 + 24}\" font-size=\"9\">dotted: centroid</text>");
        return sb.Append("</svg>").ToString();
    }

    /// <summary>A scatter with arrows and guide lines at the given x and y values; non-finite coordinates are skipped.</summary>
    public static string Scatter(string title, string xLabel, string yLabel, IReadOnlyList<XYPoint> points, IReadOnlyList<XYArrow> arrows,
        IReadOnlyList<double> xGuides, IReadOnlyList<double> yGuides, IReadOnlyList<(string Name, int Color)> legend)
    {
        var (xlo, xhi) = Span(points.Select(p => p.X).Concat(xGuides));
        var (ylo, yhi) = Span(points.Select(p => p.Y).Concat(yGuides));
        double X(double v) => L + (W - L - R) * (Math.Clamp(v, xlo, xhi) - xlo) / (xhi - xlo);
        double Y(double v) => T + (H - T - B) * (1 - (Math.Clamp(v, ylo, yhi) - ylo) / (yhi - ylo));
        var sb = new StringBuilder();
        Frame(sb, title, yLabel, ylo, yhi, Y);
        XAxis(sb, xLabel, xlo, xhi, X);
        sb.Append("<defs><marker id=\"arrowhead\" viewBox=\"0 0 6 6\" refX=\"5\" refY=\"3\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L6,3 L0,6 z\" fill=\"#555\"/></marker></defs>");
        foreach (var g in xGuides) sb.Append($"<line x1=\"{F(X(g))}\" x2=\"{F(X(g))}\" y1=\"{T}\" y2=\"{H - B}\" stroke=\"#999\" stroke-dasharray=\"3 3\"><title>x = {Num(g)}</title></line>");
        foreach (var g in yGuides) sb.Append($"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{F(Y(g))}\" y2=\"{F(Y(g))}\" stroke=\"#999\" stroke-dasharray=\"3 3\"><title>y = {Num(g)}</title></line>");
        foreach (var a in arrows.Where(a => double.IsFinite(a.X1) && double.IsFinite(a.Y1) && double.IsFinite(a.X2) && double.IsFinite(a.Y2)))
            sb.Append($"<line x1=\"{F(X(a.X1))}\" y1=\"{F(Y(a.Y1))}\" x2=\"{F(X(a.X2))}\" y2=\"{F(Y(a.Y2))}\" stroke=\"{Color(a.Color)}\" stroke-width=\"1\" marker-end=\"url(#arrowhead)\"><title>{E(a.Label)}</title></line>");
        foreach (var p in points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)))
            sb.Append(p.Square
                ? $"<rect x=\"{F(X(p.X) - 3)}\" y=\"{F(Y(p.Y) - 3)}\" width=\"6\" height=\"6\" fill=\"{Color(p.Color)}\"><title>{E(p.Label)}: ({Num(p.X)}, {Num(p.Y)})</title></rect>"
                : $"<circle cx=\"{F(X(p.X))}\" cy=\"{F(Y(p.Y))}\" r=\"3.5\" fill=\"{Color(p.Color)}\"><title>{E(p.Label)}: ({Num(p.X)}, {Num(p.Y)})</title></circle>");
        for (int i = 0; i < legend.Count; i++)
            sb.Append($"<rect x=\"{W - R + 10}\" y=\"{T + i * 16}\" width=\"10\" height=\"10\" fill=\"{Color(legend[i].Color)}\"/><text x=\"{W - R + 24}\" y=\"{T + i * 16 + 9}\" font-size=\"10\">{E(legend[i].Name)}</text>");
        sb.Append($"<text x=\"{W - R + 10}\" y=\"{T + legend.Count * 16 + 12}\" font-size=\"9\">● forward  ■ backward</text>");
        return sb.Append("</svg>").ToString();
    }
}
