// Writes SSM kernel spectra as kernels.json, kernels.csv, report.md and plots (data → files; no console code).
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Analysis.Spectra;

namespace SharpLens.Reports;

/// <summary>The files one <c>ssm-kernels</c> run writes.</summary>
public sealed record SpectraFiles(string Json, string Csv, string Report, IReadOnlyList<string> Plots);

/// <summary>Serialises <see cref="ModelKernels"/> (first model = baseline for the changes).</summary>
public static class SpectraReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes every file into <paramref name="outDir"/> and returns their paths.</summary>
    public static SpectraFiles Write(string outDir, IReadOnlyList<ModelKernels> models)
    {
        if (models.Count == 0) throw new ArgumentException("no models to report");
        Directory.CreateDirectory(outDir);
        var json = Path.Combine(outDir, "kernels.json");
        File.WriteAllText(json, ToJson(models).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var csv = Path.Combine(outDir, "kernels.csv");
        File.WriteAllText(csv, ToCsv(models));
        var md = Path.Combine(outDir, "report.md");
        File.WriteAllText(md, ToMarkdown(models));
        var plots = new List<string>();
        var plotDir = Path.Combine(outDir, "plots");
        Directory.CreateDirectory(plotDir);
        for (int i = 0; i < models.Count; i++)
            foreach (var k in models[i].Kernels)
            {
                var p = Path.Combine(plotDir, $"m{i}_{Safe(models[i].Label)}_layer{k.Layer}_{k.Direction}");
                PlotsSpectra.MagnitudeResponse(p, $"{models[i].Label} layer {k.Layer} {k.Direction}", k);
                plots.Add(p + ".png"); plots.Add(p + ".svg");
            }
        var scatter = Path.Combine(outDir, "centroid_vs_ratio");
        PlotsSpectra.ClassScatter(scatter, models);
        plots.Add(scatter + ".png"); plots.Add(scatter + ".svg");
        return new SpectraFiles(json, csv, md, plots);
    }

    /// <summary>Models, kernels (metrics, poles, kernel, magnitude) and the changes from the first model.</summary>
    public static JsonObject ToJson(IReadOnlyList<ModelKernels> models)
    {
        var arr = new JsonArray();
        foreach (var m in models)
        {
            var ks = new JsonArray();
            foreach (var k in m.Kernels)
            {
                var o = Metrics(k.Metrics);
                o["layer"] = k.Layer; o["direction"] = k.Direction;
                o["poles"] = new JsonArray(k.Poles.Select(p => (JsonNode)new JsonObject
                    { ["magnitude"] = Num(p.Magnitude), ["angle"] = Num(p.Angle), ["decay_length"] = Num(p.DecayLength) }).ToArray());
                if (k.ChannelClasses is not null) o["channel_classes"] = new JsonObject(k.ChannelClasses.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
                o["kernel"] = new JsonArray(k.Kernel.Select(Num).ToArray());
                o["magnitude"] = new JsonArray(k.Magnitude.Select(Num).ToArray());
                ks.Add(o);
            }
            arr.Add(new JsonObject
            {
                ["label"] = m.Label, ["architecture"] = m.Architecture, ["kind"] = m.Kind, ["length"] = m.Length,
                ["method"] = m.Method, ["kernels"] = ks,
            });
        }
        var changes = new JsonArray();
        for (int i = 1; i < models.Count; i++)
            foreach (var c in SsmKernelAnalysis.Compare(models[0], models[i]))
                changes.Add(new JsonObject
                {
                    ["baseline"] = models[0].Label, ["other"] = c.Other, ["layer"] = c.Layer, ["direction"] = c.Direction,
                    ["before"] = Metrics(c.Before), ["after"] = Metrics(c.After),
                    ["centroid_change"] = Num(c.CentroidChange), ["log10_ratio_change"] = Num(c.RatioChange), ["class_changed"] = c.ClassChanged,
                });
        return new JsonObject
        {
            ["thresholds"] = new JsonObject
            {
                ["centroid"] = KernelSpectrum.CentroidThreshold, ["low_band_fraction"] = KernelSpectrum.LowFraction,
                ["high_band_fraction"] = KernelSpectrum.HighFraction,
            },
            ["models"] = arr, ["changes"] = changes,
        };
    }

    /// <summary>One row per (model, layer, direction) (<see cref="Reports.Csv"/> conventions).</summary>
    public static string ToCsv(IReadOnlyList<ModelKernels> models)
    {
        var sb = new StringBuilder(Reports.Csv.Line(["model", "kind", "layer", "direction", "length", "n_bins", "dominant_bin", "dominant_frequency", "centroid",
            "log10_low_high_ratio", "class", "n_poles", "min_decay_length", "max_decay_length"]));
        foreach (var m in models)
            foreach (var k in m.Kernels)
            {
                var s = k.Metrics;
                double? minDecay = k.Poles.Count == 0 ? null : k.Poles.Min(p => p.DecayLength), maxDecay = k.Poles.Count == 0 ? null : k.Poles.Max(p => p.DecayLength);
                sb.Append(Reports.Csv.Line([m.Label, m.Kind, k.Layer, k.Direction, s.Length, s.NBins, s.DominantBin, s.DominantFrequency, s.Centroid,
                    s.Log10LowHighRatio, KernelSpectrum.Name(s.Class), k.Poles.Count, minDecay, maxDecay]));
            }
        return sb.ToString();
    }

    /// <summary>The side-by-side table (markdown), method notes and the changes between models.</summary>
    public static string ToMarkdown(IReadOnlyList<ModelKernels> models)
    {
        var sb = new StringBuilder("# SSM kernel spectra\n\n");
        foreach (var m in models)
        {
            sb.Append($"- **{m.Label}** ({m.Architecture}): ");
            sb.Append(m.Kind == "mamba-effective"
                ? $"analysed **effective input-dependent kernels** (selective SSM), {m.Length} lags. "
                : $"analysed the S4D kernels materialised at L = {m.Length}. ");
            sb.Append(m.Method).Append('\n');
        }
        sb.Append('\n').Append(Table(models));
        return sb.ToString();
    }

    /// <summary>| layer | dir | per model: class, dominant f, centroid, log10 ratio | changes vs the first model |</summary>
    public static string Table(IReadOnlyList<ModelKernels> models)
    {
        var sb = new StringBuilder("| layer | dir |");
        foreach (var m in models) sb.Append($" {m.Label}: class | dominant f | centroid | log10 low/high |");
        for (int i = 1; i < models.Count; i++) sb.Append($" Δcentroid ({models[i].Label}) | Δlog10 ratio | class change |");
        sb.Append('\n').Append("|---|---|").Append(string.Concat(Enumerable.Repeat("---|---|---|---|", models.Count)))
          .Append(string.Concat(Enumerable.Repeat("---|---|---|", models.Count - 1))).Append('\n');
        var keys = models.SelectMany(m => m.Kernels.Select(k => (k.Layer, k.Direction))).Distinct().OrderBy(k => k.Layer).ThenBy(k => k.Direction == "bwd").ToList();
        foreach (var key in keys)
        {
            sb.Append($"| {key.Layer} | {key.Direction} |");
            var found = models.Select(m => m.Kernels.FirstOrDefault(k => (k.Layer, k.Direction) == key)?.Metrics).ToList();
            foreach (var s in found)
                sb.Append(s is null ? " – | – | – | – |" : $" {KernelSpectrum.Name(s.Class)} | {F3(s.DominantFrequency)} | {F3(s.Centroid)} | {F2(s.Log10LowHighRatio)} |");
            for (int i = 1; i < models.Count; i++)
            {
                var (a, b) = (found[0], found[i]);
                sb.Append(a is null || b is null ? " – | – | – |"
                    : $" {Signed(b.Centroid - a.Centroid, "0.000")} | {Signed(b.Log10LowHighRatio - a.Log10LowHighRatio, "0.00")} | " +
                      (a.Class == b.Class ? "=" : $"{KernelSpectrum.Name(a.Class)} → {KernelSpectrum.Name(b.Class)}") + " |");
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    static JsonObject Metrics(SpectrumMetrics s) => new()
    {
        ["length"] = s.Length, ["n_bins"] = s.NBins, ["dominant_bin"] = s.DominantBin, ["dominant_frequency"] = Num(s.DominantFrequency),
        ["centroid"] = Num(s.Centroid), ["log10_low_high_ratio"] = Num(s.Log10LowHighRatio), ["class"] = KernelSpectrum.Name(s.Class),
    };

    // JSON has no infinities: non-finite values are written as the strings "+inf", "-inf", "nan"
    static JsonNode Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(v > 0 ? "+inf" : v < 0 ? "-inf" : "nan");
    static string F(double v) => double.IsFinite(v) ? v.ToString("R", Inv) : v > 0 ? "+inf" : v < 0 ? "-inf" : "nan";
    static string F3(double v) => double.IsFinite(v) ? v.ToString("0.000", Inv) : F(v);
    static string F2(double v) => double.IsFinite(v) ? v.ToString("0.00", Inv) : F(v);
    static string Signed(double v, string fmt) => double.IsFinite(v) ? (v >= 0 ? "+" : "") + v.ToString(fmt, Inv) : F(v);
    static string Safe(string s) => new(s.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray());
}
