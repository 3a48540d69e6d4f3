// Plots of SSM kernel spectra (ScottPlot): magnitude responses with markers, and the centroid-vs-ratio class map.
using SharpLens.Analysis.Spectra;

namespace SharpLens.Reports;

/// <summary>Renders spectra as PNG and SVG files. Data comes in as records; nothing here computes metrics.</summary>
internal static class PlotsSpectra
{
    const int Width = 900, Height = 520;

    /// <summary>|K(f)| against f (cycles/token) with the dominant frequency and the centroid marked; writes path.png and path.svg.</summary>
    public static void MagnitudeResponse(string pathWithoutExtension, string title, KernelEntry kernel)
    {
        var plt = new ScottPlot.Plot();
        int length = kernel.Metrics.Length;
        var f = Enumerable.Range(0, kernel.Magnitude.Length).Select(k => (double)k / length).ToArray();
        var line = plt.Add.ScatterLine(f, kernel.Magnitude);
        line.LegendText = "|rfft(K)|";
        line.LineWidth = 1.5f;
        var dom = plt.Add.VerticalLine(kernel.Metrics.DominantFrequency);
        dom.LegendText = $"dominant f = {kernel.Metrics.DominantFrequency:0.000}";
        dom.Color = ScottPlot.Colors.Red;
        if (!double.IsNaN(kernel.Metrics.Centroid))
        {
            var cen = plt.Add.VerticalLine(kernel.Metrics.Centroid);
            cen.LegendText = $"centroid = {kernel.Metrics.Centroid:0.000}";
            cen.Color = ScottPlot.Colors.Green;
            cen.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        plt.Title($"{title} ({KernelSpectrum.Name(kernel.Metrics.Class)}, log10 low/high = {Fmt(kernel.Metrics.Log10LowHighRatio)})");
        plt.XLabel("frequency (cycles/token)");
        plt.YLabel("|K(f)|");
        plt.ShowLegend();
        Save(plt, pathWithoutExtension);
    }

    /// <summary>
    /// Spectral centroid against log10 low/high energy ratio for every kernel of every model, forward and backward
    /// kernels distinguished by marker, models by colour, with the low-pass / band-pass / high-pass regions shaded.
    /// </summary>
    public static void ClassScatter(string pathWithoutExtension, IReadOnlyList<ModelKernels> models)
    {
        var plt = new ScottPlot.Plot();
        var points = models.SelectMany(m => m.Kernels).Select(k => k.Metrics.Log10LowHighRatio).Where(double.IsFinite).ToList();
        double yMin = Math.Min(-1.5, points.DefaultIfEmpty(0).Min() - 0.5), yMax = Math.Max(2.5, points.DefaultIfEmpty(0).Max() + 0.5);
        Shade(plt, 0, KernelSpectrum.CentroidThreshold, 1, yMax, ScottPlot.Colors.Blue, "low-pass");
        Shade(plt, KernelSpectrum.CentroidThreshold, 0.5, 0, 1, ScottPlot.Colors.Orange, "band-pass");
        Shade(plt, KernelSpectrum.CentroidThreshold, 0.5, yMin, 0, ScottPlot.Colors.Red, "high-pass");
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < models.Count; i++)
        {
            foreach (var dir in models[i].Kernels.Select(k => k.Direction).Distinct())
            {
                var ks = models[i].Kernels.Where(k => k.Direction == dir && double.IsFinite(k.Metrics.Log10LowHighRatio) && !double.IsNaN(k.Metrics.Centroid)).ToList();
                if (ks.Count == 0) continue;
                var sc = plt.Add.ScatterPoints(ks.Select(k => k.Metrics.Centroid).ToArray(), ks.Select(k => k.Metrics.Log10LowHighRatio).ToArray());
                sc.Color = palette.GetColor(i);
                sc.MarkerSize = 9;
                sc.MarkerShape = dir == "bwd" ? ScottPlot.MarkerShape.OpenTriangleUp : ScottPlot.MarkerShape.FilledCircle;
                sc.LegendText = $"{models[i].Label} {dir}";
                foreach (var k in ks)
                {
                    var t = plt.Add.Text($"L{k.Layer}", k.Metrics.Centroid, k.Metrics.Log10LowHighRatio);
                    t.LabelFontSize = 9;
                    t.LabelFontColor = palette.GetColor(i);
                }
            }
        }
        plt.Axes.SetLimits(0, 0.5, yMin, yMax);
        plt.Title("SSM kernels: spectral centroid vs log10 low/high energy ratio");
        plt.XLabel("spectral centroid (cycles/token)");
        plt.YLabel("log10 low/high energy ratio");
        plt.ShowLegend();
        Save(plt, pathWithoutExtension);
    }

    static void Shade(ScottPlot.Plot plt, double x1, double x2, double y1, double y2, ScottPlot.Color color, string label)
    {
        var r = plt.Add.Rectangle(x1, x2, y1, y2);
        r.FillColor = color.WithAlpha(0.12);
        r.LineColor = color.WithAlpha(0.3);
        var t = plt.Add.Text(label, x1 + 0.005, y2);
        t.LabelFontSize = 11;
        t.LabelFontColor = color;
    }

    static void Save(ScottPlot.Plot plt, string pathWithoutExtension)
    {
        plt.SavePng(pathWithoutExtension + ".png", Width, Height);
        plt.SaveSvg(pathWithoutExtension + ".svg", Width, Height);
    }

    static string Fmt(double v) => double.IsFinite(v) ? v.ToString("0.00") : v > 0 ? "+inf" : v < 0 ? "-inf" : "nan";
}
