// A sharded dataset build (`data parens --variant mined`, `data probe-pairs`): source files as units, each shard's candidates.
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Analysis.Parens;
using SharpLens.Code.Datasets;

namespace SharpLens.Reports;

/// <summary>
/// What every shard of a dataset build shares: the builder, code version, source folder, its files (paths and text
/// hashes, in read order: the units), the builder's settings, the merged file's name and the shard count.
/// </summary>
public sealed record DataRunManifest
{
    /// <summary>"data-parens" or "data-probe-pairs".</summary>
    public required string Study { get; init; }
    public required string CodeVersion { get; init; }
    public required string SourceDir { get; init; }
    /// <summary>Every file of the plan, in RUN/manifest.json; left out of the shards' copies (<see cref="FilesHash"/> stands for it).</summary>
    public IReadOnlyList<SourceEntry>? Files { get; init; }
    public required string FilesHash { get; init; }
    public required ScanCounts Scan { get; init; }
    /// <summary>The builder's options (every option that changes the file).</summary>
    public required JsonNode Settings { get; init; }
    /// <summary>The merged JSONL file's name in the merge's output folder.</summary>
    public required string Output { get; init; }
    public required int Shards { get; init; }

    /// <summary>What differs from <paramref name="other"/> ("what this vs other"); the folder aside (the files' hashes cover it).</summary>
    public IReadOnlyList<string> Differences(DataRunManifest other)
    {
        var diffs = new List<string>();
        void Check(string what, string a, string b) { if (a != b) diffs.Add($"{what} {a} vs {b}"); }
        Check("study", Study, other.Study);
        Check("code version", CodeVersion, other.CodeVersion);
        Check("source files hash", FilesHash, other.FilesHash);
        Check("settings", Settings.ToJsonString(), other.Settings.ToJsonString());
        Check("shard count", $"{Shards}", $"{other.Shards}");
        return diffs;
    }

    /// <summary>The plan the run was cut from (from RUN/manifest.json, which holds the file list).</summary>
    public SourcePlan Plan() =>
        new(SourceDir, Files ?? throw new InvalidDataException($"expected the run's file list in its manifest.json, found none"), Scan);
}

/// <summary>A finished dataset shard's manifest.</summary>
public sealed record DataShardManifest(DataRunManifest Run, int Index, int Count);

/// <summary>A shard's output: the candidates of its files, in read order, and how many of its files had parse errors.</summary>
public sealed record DataShardPart<T>(int FilesWithParseErrors, IReadOnlyList<T> Items);

/// <summary><c>RUN/shards/files-I-of-N/</c>: manifest.json and parts.json (<see cref="DataShardPart{T}"/>).</summary>
public static class DataShards
{
    public const string Stage = "files";

    public static void Write<T>(string dir, DataShardManifest manifest, DataShardPart<T> part) => ShardedRun.WriteShard(dir, manifest, ("parts.json", part));

    /// <summary>Every shard's candidates concatenated in shard order (= read order), and the files with parse errors summed.</summary>
    public static (IReadOnlyList<T> Items, int FilesWithParseErrors) Read<T>(string run, DataRunManifest manifest)
    {
        var items = new List<T>();
        int errors = 0;
        for (int i = 0; i < manifest.Shards; i++)
        {
            var part = ShardedRun.Read<DataShardPart<T>>(Path.Combine(ShardedRun.ShardDir(run, Stage, new Shard(i, manifest.Shards)), "parts.json"));
            items.AddRange(part.Items);
            errors += part.FilesWithParseErrors;
        }
        return (items, errors);
    }

    public static (IReadOnlyList<int> Missing, IReadOnlyList<string> Mismatched) Status(string run, DataRunManifest expected) =>
        ShardedRun.Status<DataShardManifest>(run, Stage, expected.Shards, (m, index) =>
            m.Index != index ? [.. expected.Differences(m.Run), $"shard {m.Index} vs {index}"] : expected.Differences(m.Run));

    /// <summary>The settings object as the manifest stores it (nulls left out, as the reports write JSON).</summary>
    public static JsonNode Settings(object settings) => JsonSerializer.SerializeToNode(settings, ReportJson.Options)!;
}
