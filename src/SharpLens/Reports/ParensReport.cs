// Writes a parens study result as results.json, six CSVs and one self-contained HTML file.
using System.Text.Json;
using SharpLens.Analysis.Parens;

namespace SharpLens.Reports;

/// <summary>The files of a parens report.</summary>
public static class ParensReport
{
    /// <summary>File names written by <see cref="Write"/>.</summary>
    public static IReadOnlyList<string> Files { get; } =
        ["report.html", "results.json", "accuracy.csv", "logit_lens.csv", "dla_layers.csv", "dla_heads.csv", "counting_heads.csv", "ablation.csv"];

    static readonly JsonSerializerOptions Json = new(ReportJson.Options) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes every file into <paramref name="dir"/> (created if needed).</summary>
    public static void Write(ParensStudyResult result, string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "results.json"), ToJson(result));
        Csv.Write(Path.Combine(dir, "accuracy.csv"), result.Accuracy);
        Csv.Write(Path.Combine(dir, "logit_lens.csv"), result.LogitLens);
        Csv.Write(Path.Combine(dir, "dla_layers.csv"), result.DlaLayers);
        Csv.Write(Path.Combine(dir, "dla_heads.csv"), result.DlaHeads);
        Csv.Write(Path.Combine(dir, "counting_heads.csv"), result.CountingHeads);
        Csv.Write(Path.Combine(dir, "ablation.csv"), result.Ablation);
        File.WriteAllText(Path.Combine(dir, "report.html"), ParensHtml.Render(result));
    }

    public static string ToJson(ParensStudyResult result) => JsonSerializer.Serialize(result, Json);
}
