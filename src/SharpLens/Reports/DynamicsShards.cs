// A sharded `parens-dynamics` run: checkpoints as units, the run's identity, each shard's per-step rows.
using SharpLens.Analysis.Parens;

namespace SharpLens.Reports;

/// <summary>A checkpoint of a parens-dynamics run: its step, folder and SHA-256 of its config and weights.</summary>
public sealed record DynamicsCheckpointInput(long Step, string Directory, string Hash);

/// <summary>What every shard of a parens-dynamics run shares: code, checkpoints (hashed), tokenizer, prompts, options, dtype, shard count.</summary>
public sealed record DynamicsRunManifest
{
    public string Study { get; init; } = DynamicsShards.Study;
    public required string CodeVersion { get; init; }
    /// <summary>The series in step order (the units).</summary>
    public required IReadOnlyList<DynamicsCheckpointInput> Checkpoints { get; init; }
    public required string TokenizerDir { get; init; }
    public required string TokenizerHash { get; init; }
    /// <summary>SHA-256 of the prepared prompts (main and already-closed), as <see cref="ParensRunManifest.HashPrompts(IEnumerable{PreparedPrompt})"/>.</summary>
    public required string PromptsHash { get; init; }
    public required ParensDynamicsOptions Options { get; init; }
    public required string DType { get; init; }
    public required int Shards { get; init; }

    /// <summary>What differs from <paramref name="other"/> ("what this vs other"); folders aside but the checkpoints' (the report names them).</summary>
    public IReadOnlyList<string> Differences(DynamicsRunManifest other)
    {
        var diffs = new List<string>();
        void Check(string what, string a, string b) { if (a != b) diffs.Add($"{what} {a} vs {b}"); }
        Check("study", Study, other.Study);
        Check("code version", CodeVersion, other.CodeVersion);
        Check("checkpoint steps", string.Join(",", Checkpoints.Select(c => c.Step)), string.Join(",", other.Checkpoints.Select(c => c.Step)));
        Check("checkpoint folders", string.Join(",", Checkpoints.Select(c => c.Directory)), string.Join(",", other.Checkpoints.Select(c => c.Directory)));
        Check("checkpoint hashes", string.Join(",", Checkpoints.Select(c => c.Hash)), string.Join(",", other.Checkpoints.Select(c => c.Hash)));
        Check("tokenizer hash", TokenizerHash, other.TokenizerHash);
        Check("prompts hash", PromptsHash, other.PromptsHash);
        Check("options", ShardedRun.ToJson(Options), ShardedRun.ToJson(other.Options));
        Check("dtype", DType, other.DType);
        Check("shard count", $"{Shards}", $"{other.Shards}");
        return diffs;
    }
}

/// <summary>A finished parens-dynamics shard's manifest: the run's identity, which shard.</summary>
public sealed record DynamicsShardManifest(DynamicsRunManifest Run, int Index, int Count);

/// <summary><c>RUN/shards/steps-I-of-N/</c>: manifest.json and steps.json (one <see cref="DynamicsStepResult"/> per checkpoint of the shard).</summary>
public static class DynamicsShards
{
    public const string Study = "parens-dynamics", Stage = "steps";

    public static void Write(string dir, DynamicsShardManifest manifest, IReadOnlyList<DynamicsStepResult> steps) => ShardedRun.WriteShard(dir, manifest, ("steps.json", steps));

    /// <summary>Every shard's steps in shard order (= step order).</summary>
    public static IReadOnlyList<DynamicsStepResult> Read(string run, DynamicsRunManifest manifest) =>
        Enumerable.Range(0, manifest.Shards)
            .SelectMany(i => ShardedRun.Read<List<DynamicsStepResult>>(Path.Combine(ShardedRun.ShardDir(run, Stage, new Shard(i, manifest.Shards)), "steps.json"))).ToList();

    public static (IReadOnlyList<int> Missing, IReadOnlyList<string> Mismatched) Status(string run, DynamicsRunManifest expected) =>
        ShardedRun.Status<DynamicsShardManifest>(run, Stage, expected.Shards, (m, index) =>
            m.Index != index ? [.. expected.Differences(m.Run), $"shard {m.Index} vs {index}"] : expected.Differences(m.Run));
}
