// CodeSearchNet-style function units: each top-level function or method of a Python file, its docstring split off.
using System.Text.Json;

namespace SharpLens.Code.Datasets;

/// <summary>
/// One function. JSON fields in brackets. <see cref="Code"/> is the whole <c>def</c> (decorators dropped, dedented);
/// <see cref="CodeWithoutDocstring"/> is the same text with the docstring statement's lines removed (equal to
/// <see cref="Code"/> when there is no docstring).
/// </summary>
public sealed record FunctionUnit
{
    /// <summary>[source] Index of the corpus source the file came from.</summary>
    public int Source { get; init; }
    /// <summary>[path] File path relative to its source folder.</summary>
    public required string Path { get; init; }
    /// <summary>[name] The function's name.</summary>
    public required string Name { get; init; }
    /// <summary>[code] The dedented definition.</summary>
    public required string Code { get; init; }
    /// <summary>[docstring] The docstring's text (quotes removed, indentation cleaned as inspect.cleandoc does), or null.</summary>
    public string? Docstring { get; init; }
    /// <summary>[code_without_docstring] <see cref="Code"/> without the docstring statement.</summary>
    public required string CodeWithoutDocstring { get; init; }

    /// <summary>Writes the record's fields in a fixed order.</summary>
    public static void WriteJson(Utf8JsonWriter w, FunctionUnit u)
    {
        w.WriteNumber("source", u.Source);
        w.WriteString("path", u.Path);
        w.WriteString("name", u.Name);
        w.WriteString("code", u.Code);
        w.Str("docstring", u.Docstring);
        w.WriteString("code_without_docstring", u.CodeWithoutDocstring);
    }

    /// <summary>Reads a functions JSONL file (strict UTF-8); each line must hold at least "code".</summary>
    public static List<FunctionUnit> ReadJsonl(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"functions file not found: {path} (expected JSONL from `sharplens data functions`)", path);
        var units = new List<FunctionUnit>();
        var lines = Utf8Text.ReadLines(path);
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].Length == 0) continue;
            JsonElement e;
            try { e = JsonDocument.Parse(lines[i]).RootElement; }
            catch (JsonException x) { throw new InvalidDataException($"{path}:{i + 1}: malformed JSON ({x.Message})"); }
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}:{i + 1}: expected an object with a string \"code\", found {e.ValueKind}");
            string? S(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            units.Add(new FunctionUnit
            {
                Source = e.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : 0,
                Path = S("path") ?? "", Name = S("name") ?? "", Code = code.GetString()!, Docstring = S("docstring"),
                CodeWithoutDocstring = S("code_without_docstring") ?? code.GetString()!,
            });
        }
        return units;
    }
}

/// <summary>Cuts the function units out of one Python file.</summary>
public static class FunctionUnits
{
    /// <summary>
    /// The top-level functions and methods of <paramref name="text"/> (nested functions stay inside their parent), each
    /// cut from its line start, dedented (skipped when a line is indented less than the <c>def</c>) and reparsed alone
    /// (skipped on parse errors). The docstring is the body's first statement when that is a plain string literal.
    /// </summary>
    public static IEnumerable<FunctionUnit> Of(string path, string text, int source = 0)
    {
        var tree = SyntaxTree.Parse(text, Language.Python);
        foreach (var fn in ProbeFunctions.TopFunctions(tree.Root))
        {
            if (fn.HasError) continue;
            int lineStart = fn.Start == 0 ? 0 : text.LastIndexOf('\n', fn.Start - 1) + 1;
            var code = ProbeFunctions.Dedent(text[lineStart..fn.End], out _);
            if (code is null) continue;
            var own = SyntaxTree.Parse(code, Language.Python);
            if (own.HasErrors || own.Root.NamedChildren.FirstOrDefault() is not { Type: "function_definition" } def) continue;
            string? doc = null;
            var withoutDoc = code;
            if (def.ChildByField("body") is { } body && body.NamedChildren.FirstOrDefault() is { Type: "expression_statement" } first
                && first.NamedChildren.Count() == 1 && first.NamedChildren.First() is { Type: "string" } literal && Unquote(literal.Text) is string d)
            {
                doc = d;
                withoutDoc = RemoveStatement(code, first.Start, first.End);
            }
            yield return new FunctionUnit
            {
                Source = source, Path = path, Name = def.ChildByField("name")?.Text ?? "", Code = code, Docstring = doc, CodeWithoutDocstring = withoutDoc,
            };
        }
    }

    /// <summary>Removes [start, end) and, when only blanks share its lines, those whole lines.</summary>
    static string RemoveStatement(string code, int start, int end)
    {
        int ls = code.LastIndexOf('\n', Math.Max(0, start - 1)) + 1;
        if (start == 0) ls = 0;
        if (!string.IsNullOrWhiteSpace(code[ls..start])) ls = start;
        int le = code.IndexOf('\n', end);
        le = le < 0 ? code.Length : le + 1;
        if (!string.IsNullOrWhiteSpace(code[end..le])) le = end;
        return code[..ls] + code[le..];
    }

    /// <summary>
    /// The text of a Python string literal without prefix and quotes, indentation cleaned like inspect.cleandoc (first
    /// line stripped, later lines dedented by their common indentation, blank lines at both ends dropped); null for
    /// f-strings and bytes (not docstrings). Escape sequences are kept as written.
    /// </summary>
    public static string? Unquote(string literal)
    {
        int p = 0;
        while (p < literal.Length && char.IsLetter(literal[p])) p++;
        var prefix = literal[..p].ToLowerInvariant();
        if (prefix.Contains('f') || prefix.Contains('b')) return null;
        var body = literal[p..];
        string q = body.StartsWith("\"\"\"", StringComparison.Ordinal) || body.StartsWith("'''", StringComparison.Ordinal) ? body[..3]
            : body.Length > 0 ? body[..1] : "";
        if (q.Length == 0 || body.Length < 2 * q.Length || !body.EndsWith(q, StringComparison.Ordinal)) return null;
        var lines = body[q.Length..^q.Length].Replace("\r\n", "\n").Split('\n');
        int indent = lines.Skip(1).Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        var clean = lines.Select((l, i) => i == 0 ? l.Trim() : l.Length >= indent ? l[indent..].TrimEnd() : l.Trim()).ToList();
        while (clean.Count > 0 && clean[0].Length == 0) clean.RemoveAt(0);
        while (clean.Count > 0 && clean[^1].Length == 0) clean.RemoveAt(clean.Count - 1);
        return string.Join('\n', clean);
    }
}
