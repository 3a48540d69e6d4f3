// Writes probe results: probe.json, probe.csv and per-layer test-accuracy plots (PNG + SVG). No console code.
using System.Globalization;
using System.Text;
using System.Text.Json;
using SharpLens.Analysis.Probes;

namespace SharpLens.Reports;

/// <summary>The files <see cref="ProbeReport.Write"/> produced.</summary>
public sealed record ProbeFiles(string Json, string Csv, IReadOnlyList<string> Plots);

/// <summary>Renders <see cref="ProbeRun"/>s; all numbers come in computed.</summary>
public static class ProbeReport
{
    static readonly string[] Columns = ["model", "task", "layer", "probe", "train_acc", "test_acc", "macro_f1", "n_clusters", "n_labels",
        "n_train", "n_test", "min_cluster_distance", "mean_cluster_distance", "test_acc_centroid", "svm_solves", "svm_budget_exhausted", "seconds"];

    /// <summary>Writes everything into <paramref name="outDir"/> (created if needed).</summary>
    public static ProbeFiles Write(string outDir, string pairsPath, IReadOnlyList<ProbeRun> runs, object settings)
    {
        Directory.CreateDirectory(outDir);
        var json = Path.Combine(outDir, "probe.json");
        var csv = Path.Combine(outDir, "probe.csv");
        File.WriteAllText(json, Json(pairsPath, runs, settings));
        File.WriteAllText(csv, Csv(runs));
        var plot = Path.Combine(outDir, "probe_accuracy");
        Plot(plot, runs);
        return new ProbeFiles(json, csv, [plot + ".png", plot + ".svg"]);
    }

    /// <summary>CSV with one row per (model, layer, probe); empty cells for fields that do not apply (<see cref="Reports.Csv"/> conventions).</summary>
    public static string Csv(IReadOnlyList<ProbeRun> runs)
    {
        var sb = new StringBuilder(Reports.Csv.Line(Columns));
        foreach (var r in runs.SelectMany(r => r.Rows))
            sb.Append(Reports.Csv.Line([r.Model, r.Task, r.Layer, r.Probe, r.TrainAccuracy, r.TestAccuracy, r.MacroF1, r.Clusters,
                r.Labels, r.NTrain, r.NTest, r.MinDistance, r.MeanDistance, r.TestAccuracyCentroid, r.SvmSolves, r.BudgetExhausted, r.Seconds]));
        return sb.ToString();
    }

    /// <summary>JSON with the settings, each model's feature report and rows, and (for two models) the side-by-side difference.</summary>
    public static string Json(string pairsPath, IReadOnlyList<ProbeRun> runs, object settings)
    {
        var doc = new Dictionary<string, object?>
        {
            ["pairs"] = pairsPath,
            ["task"] = runs.SelectMany(r => r.Rows).Select(r => r.Task).FirstOrDefault(),
            ["settings"] = settings,
            ["runs"] = runs.Select(r => new { model = r.Model, directory = r.ModelDirectory, architecture = r.Architecture, features = r.Features,
                rows = r.Rows.Select(Row) }),
        };
        if (runs.Count == 2)
            doc["comparison"] = ProbeStudy.Compare(runs[0], runs[1]).Select(c => new { layer = c.Layer, probe = c.Probe,
                test_acc_a = Finite(c.A), test_acc_b = Finite(c.B), diff_b_minus_a = Finite(c.Diff) });
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
    }

    static Dictionary<string, object?> Row(ProbeRow r) => new()
    {
        ["model"] = r.Model, ["task"] = r.Task, ["layer"] = r.Layer, ["probe"] = r.Probe, ["train_acc"] = Finite(r.TrainAccuracy),
        ["test_acc"] = Finite(r.TestAccuracy), ["macro_f1"] = Finite(r.MacroF1), ["n_clusters"] = r.Clusters, ["n_labels"] = r.Labels,
        ["n_train"] = r.NTrain, ["n_test"] = r.NTest, ["min_cluster_distance"] = Finite(r.MinDistance), ["mean_cluster_distance"] = Finite(r.MeanDistance),
        ["test_acc_centroid"] = Finite(r.TestAccuracyCentroid), ["svm_solves"] = r.SvmSolves, ["svm_budget_exhausted"] = r.BudgetExhausted, ["seconds"] = r.Seconds,
    };

    static double? Finite(double? v) => v is double x && double.IsFinite(x) ? x : null;

    /// <summary>Test accuracy against layer, one line per (model, probe).</summary>
    public static void Plot(string pathWithoutExtension, IReadOnlyList<ProbeRun> runs)
    {
        var plt = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var group in runs.SelectMany(r => r.Rows).GroupBy(r => (r.Model, r.Probe)))
        {
            var rows = group.OrderBy(r => r.Layer).Where(r => double.IsFinite(r.TestAccuracy)).ToList();
            if (rows.Count == 0) continue;
            var sc = plt.Add.Scatter(rows.Select(r => (double)r.Layer).ToArray(), rows.Select(r => r.TestAccuracy).ToArray());
            sc.LegendText = $"{group.Key.Model} {group.Key.Probe}";
            sc.Color = palette.GetColor(i++);
            sc.MarkerSize = 8;
            // marker shape, not a dashed line, tells the probes apart: ScottPlot's SVG export warns on dash patterns
            sc.MarkerShape = group.Key.Probe == "directprobe" ? ScottPlot.MarkerShape.OpenSquare : ScottPlot.MarkerShape.FilledCircle;
        }
        var task = runs.SelectMany(r => r.Rows).Select(r => r.Task).FirstOrDefault() ?? "";
        plt.Title($"{task} probe: test accuracy per layer");
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var l in runs.SelectMany(r => r.Rows).Select(r => r.Layer).Distinct().Order()) ticks.AddMajor(l, l.ToString(CultureInfo.InvariantCulture));
        plt.Axes.Bottom.TickGenerator = ticks;
        var layers = runs.SelectMany(r => r.Rows).Select(r => r.Layer).DefaultIfEmpty(0).ToList();
        plt.Axes.SetLimits(layers.Min() - 0.5, layers.Max() + 0.5, 0, 1.05);          // accuracies on one fixed scale
        plt.XLabel("layer (hook_resid_post)");
        plt.YLabel("test accuracy");
        plt.ShowLegend();
        plt.SavePng(pathWithoutExtension + ".png", 800, 500);
        plt.SaveSvg(pathWithoutExtension + ".svg", 800, 500);
    }

}
