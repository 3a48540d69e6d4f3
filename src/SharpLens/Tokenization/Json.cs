// Small helpers for reading tokenizer JSON files with errors that name the file, the key, what was expected and found.
using System.Text.Json;

namespace SharpLens.Tokenization;

internal static class Json
{
    public static JsonDocument Parse(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer file not found: {path}", path);
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{path}: malformed JSON ({ex.Message})", ex);
        }
    }

    public static JsonElement Get(JsonElement e, string key, string file)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException($"{file}: expected an object holding '{key}', found {e.ValueKind}");
        if (!e.TryGetProperty(key, out var v)) throw new FormatException($"{file}: expected key '{key}' in {Short(e)}");
        return v;
    }

    public static JsonElement? Optional(JsonElement e, string key)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v;
    }

    public static string Type(JsonElement e, string component, string file)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
            throw new FormatException($"{file}: expected a {component} object with a string 'type', found {Short(e)}");
        return t.GetString()!;
    }

    public static string String(JsonElement e, string key, string file)
    {
        var v = Get(e, key, file);
        if (v.ValueKind != JsonValueKind.String) throw new FormatException($"{file}: expected '{key}' to be a string, found {v.ValueKind}");
        return v.GetString()!;
    }

    public static string? OptionalString(JsonElement e, string key)
    {
        var v = Optional(e, key);
        return v is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;
    }

    public static bool Bool(JsonElement e, string key, bool fallback)
    {
        var v = Optional(e, key);
        return v switch { { ValueKind: JsonValueKind.True } => true, { ValueKind: JsonValueKind.False } => false, _ => fallback };
    }

    public static int Int(JsonElement e, string key, int fallback)
    {
        var v = Optional(e, key);
        return v is { ValueKind: JsonValueKind.Number } n && n.TryGetInt32(out var i) ? i : fallback;
    }

    public static JsonElement.ArrayEnumerator Array(JsonElement e, string key, string file)
    {
        var v = Get(e, key, file);
        if (v.ValueKind != JsonValueKind.Array) throw new FormatException($"{file}: expected '{key}' to be an array, found {v.ValueKind}");
        return v.EnumerateArray();
    }

    public static string Short(JsonElement e)
    {
        var raw = e.ValueKind == JsonValueKind.Undefined ? "nothing" : e.GetRawText();
        return raw.Length > 120 ? raw[..120] + "…" : raw;
    }
}
