// Reads the tokenizer fixture lines (cases.jsonl, llamacpp_cases.jsonl) shared by the tokenizer tests.
using System.Text.Json;
using SharpLens.Tests.Support;
using SharpLens.Tokenization;

namespace SharpLens.Tests.Tokenization;

public sealed record FixtureCase(int Line, string Text, int[] Ids, bool AddBos, string? Decoded, string? DecodedSkipSpecial);

public static class FixtureCases
{
    static readonly Dictionary<string, Tokenizer> cache = new();

    public static Tokenizer Tokenizer(string folder)
    {
        lock (cache)
        {
            if (!cache.TryGetValue(folder, out var t)) cache[folder] = t = SharpLens.Tokenization.Tokenizer.Load(Fixtures.Tokenizer(folder));
            return t;
        }
    }

    public static List<FixtureCase> Read(string folder, string file)
    {
        var path = Path.Combine(Fixtures.Tokenizer(folder), file);
        var result = new List<FixtureCase>();
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (line.Trim().Length == 0) continue;
            var e = JsonDocument.Parse(line).RootElement;
            string? Str(string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            result.Add(new FixtureCase(n, e.GetProperty("text").GetString()!, e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                e.TryGetProperty("add_bos", out var b) && b.ValueKind == JsonValueKind.True, Str("decoded"), Str("decoded_skip_special")));
        }
        return result;
    }

    public static string Show(string s) => JsonSerializer.Serialize(s);
}
