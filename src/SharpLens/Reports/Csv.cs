// The one CSV writer: records or cell lists → RFC 4180 text, invariant culture, one convention for non-finite numbers.
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace SharpLens.Reports;

/// <summary>
/// CSV for every report. Numbers round-trip ("R", invariant culture); NaN is an empty cell (undefined: pandas and R read
/// it as missing); +∞ and −∞ are <c>inf</c> and <c>-inf</c>; booleans are <c>true</c>/<c>false</c>; cells with a
/// comma, quote or line break are quoted (RFC 4180).
/// </summary>
public static class Csv
{
    /// <summary>Writes records: one column per public scalar property (in declaration order), snake_case headers.</summary>
    public static void Write<T>(string path, IEnumerable<T> rows) => File.WriteAllText(path, ToCsv(rows));

    /// <summary>Records as CSV text (see <see cref="Write{T}"/>).</summary>
    public static string ToCsv<T>(IEnumerable<T> rows)
    {
        var props = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(p.PropertyType)).ToList();
        var sb = new StringBuilder(Line(props.Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name))));
        foreach (var row in rows) sb.Append(Line(props.Select(p => p.GetValue(row))));
        return sb.ToString();
    }

    /// <summary>One line (with its '\n') from cells formatted by <see cref="Cell"/>.</summary>
    public static string Line(IEnumerable<object?> cells) => string.Join(",", cells.Select(Cell)) + "\n";

    /// <summary>One cell: null → empty, numbers and booleans as described on <see cref="Csv"/>, text quoted when needed.</summary>
    public static string Cell(object? v)
    {
        var s = v switch
        {
            null => "",
            double d => Number(d),
            float f => Number(f),
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
        return s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
    }

    static string Number(double d) => double.IsNaN(d) ? "" : double.IsPositiveInfinity(d) ? "inf" : double.IsNegativeInfinity(d) ? "-inf"
        : d.ToString("R", CultureInfo.InvariantCulture);

    static string Number(float f) => float.IsFinite(f) ? f.ToString("R", CultureInfo.InvariantCulture) : Number((double)f);
}
