// Typed reading of a Hugging Face config.json: keys exactly as transformers writes them; absent keys take class defaults.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpLens.Loading;

/// <summary>A config.json, read strictly: wrong types and unsupported values are errors that name the key.</summary>
public sealed class HfConfig
{
    readonly JsonObject root;
    /// <summary>Where the config came from (named in every error).</summary>
    public string Path { get; }

    HfConfig(JsonObject root, string path) { this.root = root; Path = path; }

    /// <summary>Reads a config.json (strict UTF-8; a top-level object).</summary>
    public static HfConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config.json not found: {path}", path);
        JsonNode? node;
        try { node = JsonNode.Parse(SharpLens.Code.Utf8Text.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: malformed JSON ({e.Message})"); }
        return node is JsonObject o ? new HfConfig(o, path) : throw new InvalidDataException($"{path}: expected a JSON object at the top level");
    }

    /// <summary>A config from JSON text; <paramref name="path"/> names it in errors.</summary>
    public static HfConfig FromJson(string json, string path = "<memory>") =>
        JsonNode.Parse(json) is JsonObject o ? new HfConfig(o, path) : throw new InvalidDataException($"{path}: expected a JSON object");

    /// <summary>The parsed document.</summary>
    public JsonObject Json => root;
    /// <summary>Whether <paramref name="key"/> is present and not null.</summary>
    public bool Has(string key) => root.TryGetPropertyValue(key, out var v) && v is not null;

    JsonNode Required(string key) => root.TryGetPropertyValue(key, out var v) && v is not null ? v
        : throw new InvalidDataException($"{Path}: key '{key}' is required but absent or null");

    /// <summary>A required integer.</summary>
    public int Int(string key) => AsInt(key, Required(key));
    /// <summary>An integer, or <paramref name="default"/> when absent.</summary>
    public int Int(string key, int @default) => Has(key) ? AsInt(key, root[key]!) : @default;
    /// <summary>An integer, or null when absent.</summary>
    public int? IntOrNull(string key) => Has(key) ? AsInt(key, root[key]!) : null;
    /// <summary>A required number.</summary>
    public double Double(string key) => AsDouble(key, Required(key));
    /// <summary>A number, or <paramref name="default"/> when absent.</summary>
    public double Double(string key, double @default) => Has(key) ? AsDouble(key, root[key]!) : @default;
    /// <summary>A boolean, or <paramref name="default"/> when absent.</summary>
    public bool Bool(string key, bool @default) => Has(key) ? AsBool(key, root[key]!) : @default;
    /// <summary>A required string.</summary>
    public string String(string key) => AsString(key, Required(key));
    /// <summary>A string, or <paramref name="default"/> when absent.</summary>
    public string? String(string key, string? @default) => Has(key) ? AsString(key, root[key]!) : @default;
    /// <summary>A nested object, or null when absent.</summary>
    public JsonObject? Object(string key) => Has(key) ? root[key] as JsonObject ?? throw Bad(key, "an object", root[key]!) : null;

    /// <summary>Typed reads inside a nested object such as rope_scaling or ssm_cfg: null when absent, an error naming
    /// <c>name.key</c> when the type is wrong.</summary>
    public string? StringIn(JsonObject o, string name, string key) => o[key] is { } v ? AsString($"{name}.{key}", v) : null;
    /// <inheritdoc cref="StringIn"/>
    public double? DoubleIn(JsonObject o, string name, string key) => o[key] is { } v ? AsDouble($"{name}.{key}", v) : null;
    /// <inheritdoc cref="StringIn"/>
    public int? IntIn(JsonObject o, string name, string key) => o[key] is { } v ? AsInt($"{name}.{key}", v) : null;
    /// <inheritdoc cref="StringIn"/>
    public bool? BoolIn(JsonObject o, string name, string key) => o[key] is { } v ? AsBool($"{name}.{key}", v) : null;

    /// <summary>The first entry of a string array key (e.g. architectures[0]), or null when the key is absent or empty.</summary>
    public string? FirstString(string key) => !Has(key) ? null
        : root[key] is JsonArray a ? (a.Count == 0 ? null : a[0] is { } first ? AsString(key + "[0]", first)
            : throw new InvalidDataException($"{Path}: key '{key}[0]' should be a string, found null"))
        : throw Bad(key, "an array of strings", root[key]!);

    /// <summary>Throws unless the key is absent or holds one of the allowed values (never silently ignores an option).</summary>
    public void RequireOneOf(string key, params string[] allowed)
    {
        if (!Has(key)) return;
        var v = root[key]!.ToJsonString().Trim('"');
        if (!allowed.Contains(v))
            throw new NotSupportedException($"{Path}: {key} = {v} is not supported (supported: {string.Join(", ", allowed)})");
    }

    int AsInt(string key, JsonNode v)
    {
        int i = v is JsonValue jv && jv.TryGetValue<int>(out var n) ? n
            : v is JsonValue jd && jd.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d
            : throw Bad(key, "an integer", v);
        // Keys that size tensors are bounded here, before any architecture allocates from them.
        if (InputLimits.ConfigKeys.TryGetValue(key, out var range) && (i < range.Min || i > range.Max))
            throw new InvalidDataException($"{Path}: key '{key}' should be an integer in [{range.Min}, {range.Max}], found {i}");
        return i;
    }
    double AsDouble(string key, JsonNode v) => v is JsonValue jv && jv.TryGetValue<double>(out var d) ? d : throw Bad(key, "a number", v);
    bool AsBool(string key, JsonNode v) => v is JsonValue jv && jv.TryGetValue<bool>(out var b) ? b : throw Bad(key, "true or false", v);
    string AsString(string key, JsonNode v) => v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : throw Bad(key, "a string", v);

    InvalidDataException Bad(string key, string expected, JsonNode found) =>
        new($"{Path}: key '{key}' should be {expected}, found {found.ToJsonString()}");
}
