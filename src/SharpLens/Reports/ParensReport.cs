// Writes a parens study result as results.json, six CSVs and one self-contained HTML file.
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
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

/// <summary>CSV from records: one column per public scalar property (in declaration order), invariant culture, RFC 4180 quoting.</summary>
public static class Csv
{
    public static void Write<T>(string path, IEnumerable<T> rows) => File.WriteAllText(path, ToCsv(rows));

    public static string ToCsv<T>(IEnumerable<T> rows)
    {
        var props = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(p.PropertyType)).ToList();
        var sb = new StringBuilder();
        sb.Append(string.Join(",", props.Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)))).Append('\n');
        foreach (var row in rows)
            sb.Append(string.Join(",", props.Select(p => Cell(p.GetValue(row))))).Append('\n');
        return sb.ToString();
    }

    static string Cell(object? v)
    {
        var s = v switch
        {
            null => "",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            float f => f.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
        return s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
    }
}
