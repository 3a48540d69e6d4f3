// The functions corpus of SSM-Interpret: CodeSearchNet-style units from Python sources, deduplicated, split by file.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SharpLens.Code;
using SharpLens.Code.Datasets;

namespace SharpLens.Training;

/// <summary>Counts of one split: files that contributed functions, functions, and those with a docstring.</summary>
public sealed record FunctionSplitCounts(int Files, int Functions, int WithDocstring);

/// <summary>What <see cref="FunctionCorpus.Build"/> read and kept (written as the corpus folder's manifest.json).</summary>
public sealed record FunctionCorpusManifest
{
    public required IReadOnlyList<CorpusSource> Sources { get; init; }
    public required IReadOnlyList<int> FilesPerSource { get; init; }
    public required double ValidFraction { get; init; }
    public required double TestFraction { get; init; }
    /// <summary>How files are assigned to splits (a sentence, for readers of the manifest).</summary>
    public string SplitRule { get; init; } = FunctionCorpus.SplitRule;
    public required int Files { get; init; }
    public required int FilesNotUtf8 { get; init; }
    public required int FunctionsFound { get; init; }
    public required int Duplicates { get; init; }
    public required int ExcludedTemplate { get; init; }
    public required IReadOnlyDictionary<string, FunctionSplitCounts> Splits { get; init; }
}

/// <summary>The three splits and the manifest.</summary>
public sealed record FunctionCorpusResult(IReadOnlyList<FunctionUnit> Train, IReadOnlyList<FunctionUnit> Valid, IReadOnlyList<FunctionUnit> Test,
    FunctionCorpusManifest Manifest);

/// <summary>Builds the functions corpus (<c>sharplens data functions</c>).</summary>
public static class FunctionCorpus
{
    public const string SplitRule = "u = first 8 bytes of the file's SHA-256 as a fraction of 2^64; test if u < test, valid if u < test + valid, else train";

    /// <summary>The split of a file whose content has this SHA-256 (hex): "train", "valid" or "test".</summary>
    public static string SplitOf(string sha256Hex, double valid, double test)
    {
        double u = ulong.Parse(sha256Hex[..16], NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 18446744073709551616.0;
        return u < test ? "test" : u < test + valid ? "valid" : "train";
    }

    /// <summary>
    /// Every function of every file (sources in order, files in ordinal path order), deduplicated by code (first
    /// occurrence kept), without those containing the parens study's template, split by file content hash (so one
    /// file's functions share a split). Files that are not UTF-8 are counted and skipped.
    /// </summary>
    public static FunctionCorpusResult Build(IReadOnlyList<CorpusSource> sources, double valid, double test)
    {
        if (sources.Count == 0) throw new ArgumentException("no source given: pass --source DIR[:GLOB] at least once");
        if (!(valid >= 0 && test >= 0 && valid + test < 1))
            throw new ArgumentException($"--valid and --test must be ≥ 0 with a sum below 1, found {valid} and {test}");
        var splits = new Dictionary<string, List<FunctionUnit>> { ["train"] = [], ["valid"] = [], ["test"] = [] };
        var filesPer = new Dictionary<string, HashSet<string>> { ["train"] = [], ["valid"] = [], ["test"] = [] };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int files = 0, notUtf8 = 0, found = 0, dups = 0, template = 0;
        var perSource = new List<int>();
        for (int si = 0; si < sources.Count; si++)
        {
            var listed = sources[si].ListFiles();
            perSource.Add(listed.Count);
            foreach (var rel in listed)
            {
                var bytes = File.ReadAllBytes(Path.Combine(sources[si].Root, rel));
                files++;
                if (!SourceFiles.TryDecode(bytes, out var text)) { notUtf8++; continue; }
                var split = SplitOf(Convert.ToHexString(SHA256.HashData(bytes)), valid, test);
                foreach (var u in FunctionUnits.Of(rel, text, si))
                {
                    found++;
                    if (!seen.Add(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(u.Code))))) { dups++; continue; }
                    if (Procedural.ContainsForbidden(u.Code)) { template++; continue; }
                    splits[split].Add(u);
                    filesPer[split].Add($"{si}/{rel}");
                }
            }
        }
        if (splits.Values.Sum(s => s.Count) == 0)
            throw new InvalidDataException($"expected Python functions in the sources, found none ({files} files, {notUtf8} not UTF-8, {found} functions, " +
                                           $"{dups} duplicates, {template} with the study template)");
        var manifest = new FunctionCorpusManifest
        {
            Sources = sources, FilesPerSource = perSource, ValidFraction = valid, TestFraction = test, Files = files, FilesNotUtf8 = notUtf8,
            FunctionsFound = found, Duplicates = dups, ExcludedTemplate = template,
            Splits = splits.ToDictionary(kv => kv.Key, kv => new FunctionSplitCounts(filesPer[kv.Key].Count, kv.Value.Count, kv.Value.Count(u => u.Docstring is not null))),
        };
        return new FunctionCorpusResult(splits["train"], splits["valid"], splits["test"], manifest);
    }
}
