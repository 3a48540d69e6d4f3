// Training corpora: one or more folders, each with a file pattern and a sampling weight, read deterministically.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharpLens.Training;

/// <summary>
/// One corpus source: the files matching <see cref="Glob"/> under <see cref="Root"/> (recursive), sampled
/// <see cref="Weight"/> times per epoch (2 = every window twice, 0.5 = a seeded half of them).
/// </summary>
public sealed record CorpusSource(
    [property: JsonPropertyName("path")] string Root,
    [property: JsonPropertyName("glob")] string Glob = "*.py",
    [property: JsonPropertyName("weight")] double Weight = 1.0)
{
    /// <summary>
    /// Parses a <c>--corpus</c> value: <c>DIR[:GLOB][@WEIGHT]</c> (the glob defaults to <paramref name="defaultGlob"/>).
    /// </summary>
    public static CorpusSource Parse(string spec, string defaultGlob)
    {
        string rest = spec, glob = defaultGlob;
        double weight = 1.0;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var w = rest[(at + 1)..];
            if (!double.TryParse(w, NumberStyles.Float, CultureInfo.InvariantCulture, out weight) || !double.IsFinite(weight) || weight <= 0)
                throw new ArgumentException($"--corpus '{spec}': the weight after '@' must be a number > 0, found '{w}'");
            rest = rest[..at];
        }
        int colon = rest.IndexOf(':');
        if (colon >= 0)
        {
            glob = rest[(colon + 1)..];
            rest = rest[..colon];
            if (glob.Length == 0) throw new ArgumentException($"--corpus '{spec}': empty file pattern after ':'");
        }
        if (rest.Length == 0) throw new ArgumentException($"--corpus '{spec}': no folder given");
        if (colon < 0 && rest.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) glob = JsonlGlob;
        return new CorpusSource(rest, glob, weight);
    }

    /// <summary>The glob recorded for a JSONL source (<see cref="IsJsonl"/>): each line's "code" is one document.</summary>
    public const string JsonlGlob = "jsonl:code";

    /// <summary>A functions file (from <c>sharplens data functions</c>) rather than a folder: its path ends in .jsonl.</summary>
    [JsonIgnore] public bool IsJsonl => Root.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);

    /// <summary>The documents of this source (folder: relative paths, ordinal order; JSONL: FILE:N for the N-th function); an error when none.</summary>
    public List<string> ListFiles() => IsJsonl ? ReadJsonl().Select(d => d.Name).ToList() : TokenCache.ListFiles(Root, Glob);

    /// <summary>A JSONL source's documents: (FILE:N, the N-th function's code as UTF-8).</summary>
    public List<(string Name, byte[] Bytes)> ReadJsonl()
    {
        var units = SharpLens.Code.Datasets.FunctionUnit.ReadJsonl(Root);
        if (units.Count == 0) throw new InvalidDataException($"{Root}: expected one function per line, found none");
        var name = System.IO.Path.GetFileName(Root);
        return units.Select((u, i) => ($"{name}:{i + 1}", System.Text.Encoding.UTF8.GetBytes(u.Code))).ToList();
    }

    /// <summary>Every document's text, in order (for tokenizer training).</summary>
    public IEnumerable<string> ReadTexts() => IsJsonl ? ReadJsonl().Select(d => System.Text.Encoding.UTF8.GetString(d.Bytes))
        : ListFiles().Select(f => SharpLens.Code.Utf8Text.ReadAllText(System.IO.Path.Combine(Root, f)));
}

/// <summary>A corpus manifest file: <c>{"sources": [{"path": …, "glob": "*.py", "weight": 1}], "holdout": 0.02}</c>.</summary>
public sealed record CorpusSpec
{
    [JsonPropertyName("sources")] public required List<CorpusSource> Sources { get; init; }
    /// <summary>Fraction of files (chosen by content hash) kept out of training.</summary>
    [JsonPropertyName("holdout")] public double HoldOut { get; init; }

    /// <summary>Reads and validates a manifest; paths in it are relative to the manifest's folder.</summary>
    public static CorpusSpec Load(string path)
    {
        CorpusSpec? spec;
        try { spec = JsonSerializer.Deserialize<CorpusSpec>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"corpus manifest {path} is not valid JSON: {e.Message}"); }
        if (spec?.Sources is not { Count: > 0 }) throw new InvalidDataException($"corpus manifest {path}: expected a non-empty \"sources\" list");
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var sources = spec.Sources.Select((s, i) =>
        {
            if (string.IsNullOrEmpty(s.Root)) throw new InvalidDataException($"corpus manifest {path}: sources[{i}] has no \"path\"");
            if (!(s.Weight > 0) || !double.IsFinite(s.Weight)) throw new InvalidDataException($"corpus manifest {path}: sources[{i}] weight must be > 0, found {s.Weight}");
            return s with { Root = Path.IsPathRooted(s.Root) ? s.Root : Path.Combine(baseDir, s.Root), Glob = s.IsJsonl ? CorpusSource.JsonlGlob : string.IsNullOrEmpty(s.Glob) ? "*.py" : s.Glob };
        }).ToList();
        ValidateHoldOut(spec.HoldOut, path);
        return spec with { Sources = sources };
    }

    /// <summary>Throws unless 0 ≤ <paramref name="holdOut"/> &lt; 1.</summary>
    public static void ValidateHoldOut(double holdOut, string where)
    {
        if (!(holdOut >= 0 && holdOut < 1)) throw new ArgumentException($"{where}: the held-out fraction must be in [0, 1), found {holdOut}");
    }

    /// <summary>True when the file with this SHA-256 (hex) is held out: its first 8 bytes, read as a fraction, fall below the fraction.</summary>
    public static bool IsHeldOut(string sha256Hex, double holdOut) =>
        holdOut > 0 && ulong.Parse(sha256Hex[..16], NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 18446744073709551616.0 < holdOut;
}
