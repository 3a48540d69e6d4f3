// Writes the parens study across training as results.json, five CSVs and one self-contained HTML page.
using System.Text.Json;
using SharpLens.Analysis.Parens;

namespace SharpLens.Reports;

/// <summary>The files of a parens-dynamics report.</summary>
public static class ParensDynamicsReport
{
    /// <summary>File names written by <see cref="Write"/>.</summary>
    public static IReadOnlyList<string> Files { get; } =
        ["report.html", "results.json", "accuracy.csv", "first_top1.csv", "attribution.csv", "heads.csv", "persistence.csv"];

    /// <summary>Writes every file into <paramref name="dir"/> (created if needed).</summary>
    public static void Write(ParensDynamicsResult result, string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "results.json"), ToJson(result));
        Csv.Write(Path.Combine(dir, "accuracy.csv"), result.Accuracy);
        Csv.Write(Path.Combine(dir, "first_top1.csv"), result.FirstTop1);
        Csv.Write(Path.Combine(dir, "attribution.csv"), result.Attribution);
        Csv.Write(Path.Combine(dir, "heads.csv"), result.Heads);
        Csv.Write(Path.Combine(dir, "persistence.csv"), result.Persistence);
        File.WriteAllText(Path.Combine(dir, "report.html"), ParensDynamicsHtml.Render(result));
    }

    public static string ToJson(ParensDynamicsResult result) => JsonSerializer.Serialize(result, ReportJson.Options);
}
