// A sharded `ssm-study` run: (model, task, layer) probe units, the run's identity, each shard's per-model parts.
using System.Text.Json.Nodes;
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.SsmInterpret;

namespace SharpLens.Reports;

/// <summary>What every shard of an ssm-study run shares: code, study manifest, models and pairs (hashed), settings, shard count.</summary>
public sealed record SsmRunManifest
{
    public string Study { get; init; } = "ssm-study";
    public required string CodeVersion { get; init; }
    /// <summary>The study manifest (full path) and SHA-256 of its bytes.</summary>
    public required string StudyManifest { get; init; }
    public required string StudyManifestHash { get; init; }
    /// <summary>SHA-256 of each model's config and weights, in manifest order.</summary>
    public required IReadOnlyList<string> ModelHashes { get; init; }
    /// <summary>The pairs folder (full path), the tasks in order and SHA-256 of each task's file.</summary>
    public required string PairsDir { get; init; }
    public required IReadOnlyList<string> Tasks { get; init; }
    public required IReadOnlyList<string> PairsHashes { get; init; }
    /// <summary>The settings object the report prints (every option that changes a number).</summary>
    public required JsonNode Settings { get; init; }
    public required int Units { get; init; }
    public required int Shards { get; init; }

    /// <summary>What differs from <paramref name="other"/> ("what: this vs other").</summary>
    public IReadOnlyList<string> Differences(SsmRunManifest other)
    {
        var diffs = new List<string>();
        void Check(string what, string a, string b) { if (a != b) diffs.Add($"{what} {a} vs {b}"); }
        Check("study", Study, other.Study);
        Check("code version", CodeVersion, other.CodeVersion);
        Check("study manifest hash", StudyManifestHash, other.StudyManifestHash);
        Check("model hashes", string.Join(",", ModelHashes), string.Join(",", other.ModelHashes));
        Check("tasks", string.Join(",", Tasks), string.Join(",", other.Tasks));
        Check("pairs hashes", string.Join(",", PairsHashes), string.Join(",", other.PairsHashes));
        Check("settings", Settings.ToJsonString(), other.Settings.ToJsonString());
        Check("shard count", $"{Shards}", $"{other.Shards}");
        return diffs;
    }
}

/// <summary>A finished ssm-study shard's manifest.</summary>
public sealed record SsmShardManifest(SsmRunManifest Run, int Index, int Count);

/// <summary><c>RUN/shards/ssm-I-of-N/</c>: manifest.json and parts.json (one <see cref="SsmModelPart"/> per model the shard touched).</summary>
public static class SsmShards
{
    public const string Stage = "ssm";

    public static void Write(string dir, SsmShardManifest manifest, IReadOnlyList<SsmModelPart> parts) => ShardedRun.WriteShard(dir, manifest, ("parts.json", parts));

    public static IReadOnlyList<SsmModelPart> Read(string run, SsmRunManifest manifest) =>
        Enumerable.Range(0, manifest.Shards)
            .SelectMany(i => ShardedRun.Read<List<SsmModelPart>>(Path.Combine(ShardedRun.ShardDir(run, Stage, new Shard(i, manifest.Shards)), "parts.json"))).ToList();

    public static (IReadOnlyList<int> Missing, IReadOnlyList<string> Mismatched) Status(string run, SsmRunManifest expected) =>
        ShardedRun.Status<SsmShardManifest>(run, Stage, expected.Shards, (m, index) =>
            m.Index != index ? [.. expected.Differences(m.Run), $"shard {m.Index} vs {index}"] : expected.Differences(m.Run));
}
