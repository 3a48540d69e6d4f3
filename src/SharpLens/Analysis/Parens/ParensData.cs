// Where the study's examples come from: the template, sites mined from a source folder, or a JSONL file.
using System.Text.Json;
using SharpLens.Code;
using SharpLens.Code.Datasets;

namespace SharpLens.Analysis.Parens;

/// <summary>Loads the examples of the closing-parenthesis study.</summary>
public static class ParensData
{
    /// <summary>
    /// "template": <paramref name="n"/> plain template prompts per depth; "mined": sites mined from
    /// <paramref name="source"/> (all supported languages); anything else is a JSONL file written by <c>sharplens data parens</c>.
    /// </summary>
    public static IReadOnlyList<ParensExample> Load(string dataset, IReadOnlyList<int> depths, int n, long seed, string? source = null)
    {
        if (n < 1) throw new ArgumentException($"expected --n ≥ 1 prompts per depth, found {n}");
        switch (dataset)
        {
            case "template":
                return ParensDataset.Generate(depths, new SplitSizes(0, 0, n), seed);
            case "mined":
                if (source is null) throw new ArgumentException("--dataset mined expects --source DIR (a folder of source files), found none");
                if (!Directory.Exists(source)) throw new DirectoryNotFoundException($"--source: expected a folder of source files, found no folder at {source}");
                var (mined, _) = MinedParens.Mine(source, Array.Empty<Language>(), depths, new SplitSizes(0, 0, n), seed);
                if (mined.Count == 0) throw new InvalidDataException($"--source {source}: no closing-paren sites of depth {string.Join(",", depths)} found");
                return mined;
            default:
                if (!File.Exists(dataset)) throw new FileNotFoundException($"--dataset: expected template, mined or a JSONL file, found '{dataset}' (no such file)");
                var all = ReadJsonl(dataset);
                var kept = all.Where(e => depths.Contains(e.Depth)).GroupBy(e => e.Depth).SelectMany(g => g.Take(n)).ToList();
                if (kept.Count == 0) throw new InvalidDataException($"{dataset}: expected examples of depth {string.Join(",", depths)}, found none among {all.Count}");
                return kept;
        }
    }

    /// <summary>The already-closed template variant (c of the closing parens present) used by the counting-head analysis.</summary>
    public static IReadOnlyList<ParensExample> Closed(IReadOnlyList<int> depths, int n, long seed, int maxClosed = 3) =>
        ParensDataset.Generate(depths, new SplitSizes(0, 0, Math.Min(n, 900 * maxClosed)), seed, closedVariant: true, maxClosed: maxClosed);

    /// <summary>Reads examples written by <see cref="ParensExample.WriteJson"/> (one JSON object per line).</summary>
    public static IReadOnlyList<ParensExample> ReadJsonl(string path)
    {
        var list = new List<ParensExample>();
        int line = 0;
        foreach (var text in Utf8Text.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var r = doc.RootElement;
                string S(string k) => r.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
                    : throw new InvalidDataException($"missing string field '{k}'");
                string? SN(string k) => r.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                int? IN(string k) => r.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
                var label = S("label_text");
                int depth = IN("depth") ?? label.Length;
                list.Add(new ParensExample
                {
                    Id = SN("id") ?? $"line-{line}", Variant = SN("variant") ?? "file", Prompt = S("prompt"), LabelText = label,
                    CounterfactualText = SN("counterfactual_text") ?? label + ")", CounterfactualPrompt = SN("counterfactual_prompt"),
                    Depth = depth, N = IN("n"), K = IN("k"), Closed = IN("closed"), Total = IN("total"), OpenParens = IN("open_parens") ?? depth,
                    Split = SN("split") ?? "test", Language = SN("language") ?? "python", Source = SN("source") ?? path,
                    Offset = IN("offset"), Line = IN("line"), Seed = r.TryGetProperty("seed", out var sd) && sd.ValueKind == JsonValueKind.Number ? sd.GetInt64() : 0,
                    Generator = SN("generator") ?? "file",
                });
            }
            catch (Exception e) when (e is JsonException or InvalidDataException or FormatException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{line}: expected a parens example (prompt, label_text, depth, …), found an invalid line: {e.Message}");
            }
        }
        if (list.Count == 0) throw new InvalidDataException($"{path}: expected JSONL parens examples, found none");
        return list;
    }
}
