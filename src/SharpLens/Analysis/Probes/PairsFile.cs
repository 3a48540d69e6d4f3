// Reads a `sharplens data probe-pairs` JSONL file into tokenizer-independent pair records (strict, line-numbered errors).
using SharpLens.Code;
using System.Text.Json;
using SharpLens.Code.Datasets;

namespace SharpLens.Analysis.Probes;

/// <summary>One labelled pair as stored in a probe-pairs file; <see cref="FunctionId"/> groups pairs of one function.</summary>
public sealed record PairRecord(string Id, string Task, string Label, bool IsTrain, int FunctionId, string Code, PairToken A, PairToken B);

/// <summary>Parses the JSON Lines written by <see cref="ProbePair.WriteJson"/>.</summary>
public static class PairsFile
{
    /// <summary>Reads every non-blank line; throws <see cref="InvalidDataException"/> naming the line and the field.</summary>
    public static IReadOnlyList<PairRecord> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"pairs file not found: {path}", path);
        var pairs = new List<PairRecord>();
        int line = 0;
        foreach (var text in Utf8Text.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            pairs.Add(Parse(text, $"{path}:{line}"));
        }
        if (pairs.Count == 0) throw new InvalidDataException($"{path}: expected probe pairs (one JSON object per line), found none");
        var tasks = pairs.Select(p => p.Task).Distinct().ToList();
        if (tasks.Count != 1) throw new InvalidDataException($"{path}: expected pairs of one task, found {string.Join(", ", tasks)}");
        var codes = new Dictionary<int, string>();
        foreach (var p in pairs)
            if (codes.TryGetValue(p.FunctionId, out var c) && c != p.Code)
                throw new InvalidDataException($"{path}: pair {p.Id}: function_id {p.FunctionId} appears with two different codes");
            else codes[p.FunctionId] = p.Code;
        if (!pairs.Any(p => p.IsTrain) || pairs.All(p => p.IsTrain))
            throw new InvalidDataException($"{path}: expected both train and test pairs, found {pairs.Count(p => p.IsTrain)} train and {pairs.Count(p => !p.IsTrain)} test");
        return pairs;
    }

    static PairRecord Parse(string text, string where)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw new InvalidDataException($"{where}: expected a JSON object, found invalid JSON ({e.Message})"); }
        using (doc)
        {
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: expected a JSON object, found {o.ValueKind}");
            var task = Str(o, "task", where);
            if (!ProbePairs.Tasks.Contains(task)) throw new InvalidDataException($"{where}: expected task among {string.Join(", ", ProbePairs.Tasks)}, found '{task}'");
            var split = Str(o, "split", where);
            if (split is not ("train" or "test")) throw new InvalidDataException($"{where}: expected split 'train' or 'test', found '{split}'");
            var code = Str(o, "code", where);
            var a = Token(o, "a", where, code.Length);
            var b = Token(o, "b", where, code.Length);
            return new PairRecord(Str(o, "id", where), task, Str(o, "label", where), split == "train", Int(o, "function_id", where), code, a, b);
        }
    }

    static PairToken Token(JsonElement o, string name, string where, int codeLength)
    {
        if (!o.TryGetProperty(name, out var t) || t.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{where}: expected an object field '{name}' ({{index, start, end, text, type}}), found {(o.TryGetProperty(name, out var v) ? v.ValueKind.ToString() : "nothing")}");
        var tok = new PairToken(Int(t, "index", where), Int(t, "start", where), Int(t, "end", where), Str(t, "text", where), Str(t, "type", where));
        if (tok.Index < 0 || tok.Start < 0 || tok.End <= tok.Start || tok.End > codeLength)
            throw new InvalidDataException($"{where}: expected '{name}' to span 0 ≤ start < end ≤ {codeLength} with index ≥ 0, found index {tok.Index} span ({tok.Start}, {tok.End})");
        return tok;
    }

    static string Str(JsonElement o, string name, string where) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new InvalidDataException($"{where}: expected a string field '{name}', found {(o.TryGetProperty(name, out var x) ? x.ValueKind.ToString() : "nothing")}");

    static int Int(JsonElement o, string name, string where) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i
            : throw new InvalidDataException($"{where}: expected an integer field '{name}', found {(o.TryGetProperty(name, out var x) ? x.ValueKind.ToString() : "nothing")}");
}
