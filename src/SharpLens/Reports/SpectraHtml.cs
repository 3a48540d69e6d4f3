// SSM kernel spectra as inline SVG + tables: the magnitude-response chart the ssm-study report and notebooks both draw.
using System.Globalization;
using System.Net;
using System.Text;
using SharpLens.Analysis.Spectra;

namespace SharpLens.Reports;

/// <summary>Kernel spectra as HTML fragments (no scripts, no URLs).</summary>
public static class SpectraHtml
{
    static string E(string s) => WebUtility.HtmlEncode(s);
    static string N(double v, string f) => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : double.IsNaN(v) ? "–" : v > 0 ? "+inf" : "-inf";

    /// <summary>
    /// log10 |rfft(K)| of one or more kernels over f ∈ [0, 0.5] cycles/token (at most 256 points each: the maximum of each
    /// run of bins), with each kernel's dominant frequency (solid) and centroid (dotted) marked.
    /// </summary>
    public static string MagnitudeResponse(string title, IReadOnlyList<(string Label, KernelEntry Kernel, int Color)> kernels)
    {
        var series = new List<XYSeries>();
        var markers = new List<VMarker>();
        foreach (var (label, k, c) in kernels)
        {
            var (f, y) = Downsample(k.Magnitude, k.Metrics.Length, 256);
            series.Add(new XYSeries($"{label} ({KernelSpectrum.Name(k.Metrics.Class)})", f, y, c));
            markers.Add(new VMarker(k.Metrics.DominantFrequency, $"{label} dominant f", c, false));
            markers.Add(new VMarker(k.Metrics.Centroid, $"{label} centroid", c, true));
        }
        return Svg.XY(title, "frequency (cycles/token)", "log10 |K|", series, markers, 0, 0.5);
    }

    /// <summary>
    /// One model's kernels: the method, a table of every kernel's metrics, and a magnitude-response chart per layer with
    /// its forward and backward kernels.
    /// </summary>
    public static string Model(ModelKernels m)
    {
        var sb = new StringBuilder($"<p><b>{E(m.Label)}</b> ({E(m.Architecture)}, {E(m.Kind)}), {m.Kernels.Count} kernels at L = {m.Length}. {E(m.Method)}</p>");
        sb.Append(ParensHtml.Table(["layer", "dir", "dominant f", "centroid", "log10 low/high", "class", "slowest pole |z|"],
            m.Kernels.Select(k => new[] { $"{k.Layer}", k.Direction, N(k.Metrics.DominantFrequency, "0.0000"), N(k.Metrics.Centroid, "0.0000"),
                N(k.Metrics.Log10LowHighRatio, "0.00"), KernelSpectrum.Name(k.Metrics.Class), k.Poles.Count == 0 ? "–" : N(k.Poles.Max(p => p.Magnitude), "0.0000") })));
        sb.Append("<div class=\"grid\">");
        foreach (var layer in m.Kernels.Select(k => k.Layer).Distinct())
        {
            var curves = m.Kernels.Where(k => k.Layer == layer).Select((k, i) => (k.Direction, k, i)).ToList();
            sb.Append(MagnitudeResponse($"{m.Label} layer {layer}", curves));
        }
        return sb.Append("</div>").ToString();
    }

    /// <summary>Frequencies and log10 magnitudes at most <paramref name="points"/> long: each point is the maximum of its run of bins.</summary>
    static (double[] F, double[] Y) Downsample(double[] mag, int length, int points)
    {
        int stride = Math.Max(1, (int)Math.Ceiling(mag.Length / (double)points));
        var f = new List<double>();
        var y = new List<double>();
        for (int i = 0; i < mag.Length; i += stride)
        {
            int best = i;
            for (int j = i; j < Math.Min(mag.Length, i + stride); j++) if (mag[j] > mag[best]) best = j;
            f.Add((double)best / length);
            y.Add(Math.Log10(Math.Max(mag[best], 1e-30)));
        }
        return (f.ToArray(), y.ToArray());
    }
}
