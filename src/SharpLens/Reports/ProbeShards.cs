// A sharded `probe` run: (model, layer) units, the run's identity, each shard's probe runs, and their merge.
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.Probes;

namespace SharpLens.Reports;

/// <summary>A model of a probe run: its folder, hashes and depth.</summary>
public sealed record ProbeModelInput(string Directory, string Hash, string TokenizerHash, int NLayers);

/// <summary>One unit of a probe run: the probes of one layer of one model (index into <see cref="ProbeRunManifest.Models"/>).</summary>
public sealed record ProbeUnit(int Model, int Layer);

/// <summary>What every shard of a probe run shares: code, pairs file, models (hashed), settings, units and shard count.</summary>
public sealed record ProbeRunManifest
{
    public string Study { get; init; } = "probe";
    public required string CodeVersion { get; init; }
    /// <summary>The pairs file as the first shard was given it (the report prints it).</summary>
    public required string PairsPath { get; init; }
    public required string PairsHash { get; init; }
    public required IReadOnlyList<ProbeModelInput> Models { get; init; }
    /// <summary>The settings object the report prints (every option that changes a number).</summary>
    public required JsonNode Settings { get; init; }
    public required IReadOnlyList<ProbeUnit> Units { get; init; }
    public required int Shards { get; init; }

    /// <summary>What differs from <paramref name="other"/> ("what: this vs other"); folders aside (the hashes cover them).</summary>
    public IReadOnlyList<string> Differences(ProbeRunManifest other)
    {
        var diffs = new List<string>();
        void Check(string what, string a, string b) { if (a != b) diffs.Add($"{what} {a} vs {b}"); }
        Check("study", Study, other.Study);
        Check("code version", CodeVersion, other.CodeVersion);
        Check("pairs hash", PairsHash, other.PairsHash);
        Check("model hashes", string.Join(",", Models.Select(m => m.Hash)), string.Join(",", other.Models.Select(m => m.Hash)));
        Check("tokenizer hashes", string.Join(",", Models.Select(m => m.TokenizerHash)), string.Join(",", other.Models.Select(m => m.TokenizerHash)));
        Check("settings", Settings.ToJsonString(), other.Settings.ToJsonString());
        Check("shard count", $"{Shards}", $"{other.Shards}");
        return diffs;
    }

    /// <summary>SHA-256 (16 hex digits) of a file's bytes.</summary>
    public static string HashFile(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(fs))[..16].ToLowerInvariant();
    }
}

/// <summary>A shard's probes of one model (<see cref="Model"/>: index into <see cref="ProbeRunManifest.Models"/>).</summary>
public sealed record ProbeShardRun(int Model, ProbeRun Run);

/// <summary>A finished probe shard's manifest.</summary>
public sealed record ProbeShardManifest(ProbeRunManifest Run, int Index, int Count);

/// <summary><c>RUN/shards/probe-I-of-N/</c>: manifest.json and runs.json (the shard's <see cref="ProbeRun"/>s, one per model it touched).</summary>
public static class ProbeShards
{
    public const string Stage = "probe";

    public static void Write(string dir, ProbeShardManifest manifest, IReadOnlyList<ProbeShardRun> runs) => ShardedRun.WriteShard(dir, manifest, ("runs.json", runs));

    public static (IReadOnlyList<int> Missing, IReadOnlyList<string> Mismatched) Status(string run, ProbeRunManifest expected) =>
        ShardedRun.Status<ProbeShardManifest>(run, Stage, expected.Shards, (m, index) =>
            m.Index != index ? [.. expected.Differences(m.Run), $"shard {m.Index} vs {index}"] : expected.Differences(m.Run));

    /// <summary>
    /// One <see cref="ProbeRun"/> per model from every shard: rows in shard order (= unit order: model, then layer), the
    /// feature report of the model's first shard (its counts are the same in every shard; its seconds are that shard's).
    /// </summary>
    public static IReadOnlyList<ProbeRun> Merge(string run, ProbeRunManifest manifest)
    {
        var parts = Enumerable.Range(0, manifest.Shards)
            .SelectMany(i => ShardedRun.Read<List<ProbeShardRun>>(Path.Combine(ShardedRun.ShardDir(run, Stage, new Shard(i, manifest.Shards)), "runs.json"))).ToList();
        var merged = new List<ProbeRun>();
        for (int m = 0; m < manifest.Models.Count; m++)
        {
            var mine = parts.Where(p => p.Model == m).Select(p => p.Run).ToList();
            var want = manifest.Units.Where(u => u.Model == m).Select(u => u.Layer).ToList();
            var have = mine.SelectMany(r => r.Rows.Select(row => row.Layer)).Distinct().ToList();
            if (mine.Count == 0 || !want.SequenceEqual(have))
                throw new InvalidDataException($"{run}: expected the probes of layers {string.Join(",", want)} of {manifest.Models[m].Directory} across the shards, found layers {string.Join(",", have)}");
            merged.Add(mine[0] with { Rows = mine.SelectMany(r => r.Rows).ToList() });
        }
        return merged;
    }
}
