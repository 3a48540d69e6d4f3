// Writes an ssm-study result as results.json, CSVs and one self-contained HTML file.
using System.Text.Json;
using SharpLens.Analysis.SsmInterpret;

namespace SharpLens.Reports;

/// <summary>The files of an ssm-study report.</summary>
public static class SsmStudyReport
{
    /// <summary>File names written by <see cref="Write"/>.</summary>
    public static IReadOnlyList<string> Files { get; } =
        ["report.html", "results.json", "probes.csv", "layer_map.csv", "features.csv", "kernels.csv", "shifts.csv", "scores.csv", "retention.csv", "claims.csv"];

    /// <summary>Writes every file into <paramref name="dir"/> (created if needed).</summary>
    public static void Write(SsmStudyResult result, string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "results.json"), ToJson(result));
        Csv.Write(Path.Combine(dir, "probes.csv"), result.Probes);
        Csv.Write(Path.Combine(dir, "layer_map.csv"), result.LayerMap);
        Csv.Write(Path.Combine(dir, "features.csv"), result.Features);
        Csv.Write(Path.Combine(dir, "kernels.csv"), result.Kernels);
        Csv.Write(Path.Combine(dir, "shifts.csv"), result.Shifts);
        Csv.Write(Path.Combine(dir, "scores.csv"), result.Scores);
        Csv.Write(Path.Combine(dir, "retention.csv"), result.Retention);
        Csv.Write(Path.Combine(dir, "claims.csv"), result.Claims);
        File.WriteAllText(Path.Combine(dir, "report.html"), SsmStudyHtml.Render(result));
    }

    /// <summary>results.json: every record of the result (snake_case; non-finite numbers as "NaN"/"Infinity").</summary>
    public static string ToJson(SsmStudyResult result) => JsonSerializer.Serialize(result, ReportJson.Options);
}
