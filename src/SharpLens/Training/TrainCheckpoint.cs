// Training checkpoints: model + AdamW state + RNG + data position in one safetensors file, written atomically, verified on read.
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Loading;
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>What, besides tensors, a checkpoint records. Every field but Step/TokensSeen must match the resuming run.</summary>
internal sealed record CheckpointState
{
    public int Format { get; init; } = 1;
    public required long Step { get; init; }
    public required long TokensSeen { get; init; }
    /// <summary>The data position: the next step's batch is DataStream.BatchAt(DataStep).</summary>
    public required long DataStep { get; init; }
    /// <summary>The model's config.json (arch and sizes).</summary>
    public required string Config { get; init; }
    /// <summary>Hash of the token-cache manifest (corpus files + tokenizer).</summary>
    public required string DataManifestHash { get; init; }
    /// <summary>The options that shape the run (objective, seq len, batch, seed, budget, optimiser, schedule).</summary>
    public required string RunFingerprint { get; init; }
}

/// <summary>A checkpoint that cannot be used: corrupt, truncated, or written by a different run.</summary>
public sealed class CheckpointMismatchException(string message) : Exception(message);

/// <summary>Reads and writes <c>checkpoint.safetensors</c>.</summary>
internal static class TrainCheckpoint
{
    public const string FileName = "checkpoint.safetensors";
    const string StateKey = "sharplens.training_state", HashKey = "sharplens.data_sha256", TorchRngKey = "rng.torch";

    /// <summary>The options that must agree for a resume to be exact (sizes live in the config).</summary>
    public static string Fingerprint(TrainOptions o) => JsonSerializer.Serialize(new
    {
        objective = o.Objective.ToString().ToLowerInvariant(), o.SeqLen, o.Batch, o.Seed, steps = o.TotalSteps, o.Lr, o.MinLr,
        o.Warmup, o.WeightDecay, o.Beta1, o.Beta2, o.Eps, o.Clip, o.InitStd,
        precision = o.ResolvedPrecision.ToString().ToLowerInvariant(), procedural = ProceduralMix.Format(o.Procedural, o.ProceduralSchedule),
    }) + (o.InitFrom is null ? "" : " init_from " + InitHash(o.InitFrom));

    /// <summary>SHA-256 of the weights a run starts from (so a resume cannot silently switch them).</summary>
    public static string InitHash(string dir)
    {
        using var fs = File.OpenRead(Path.Combine(dir, "model.safetensors"));
        return Convert.ToHexString(SHA256.HashData(fs)).ToLowerInvariant()[..16];
    }

    /// <summary>Writes the checkpoint atomically (temporary file, then rename).</summary>
    public static void Save(string path, HookedModel model, AdamW optimizer, CheckpointState state)
    {
        using var scope = NewDisposeScope();
        var tensors = model.named_parameters().Select(p => ("model." + p.name, (Tensor)p.parameter))
            .Concat(optimizer.StateTensors())
            .Append((TorchRngKey, random.get_rng_state()))
            .Select(t => (t.Item1, t.Item2.detach().cpu().contiguous())).ToList();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (_, t) in tensors) if (t.NumberOfElements > 0) sha.AppendData(t.bytes);
        var meta = new Dictionary<string, string>
        {
            ["format"] = "pt", [StateKey] = JsonSerializer.Serialize(state), [HashKey] = Convert.ToHexString(sha.GetHashAndReset()),
        };
        SafeTensorsWriter.Write(path, tensors, meta);
    }

    /// <summary>
    /// Validates the file (structure, checksum, same config/data/options as <paramref name="expected"/>) and restores
    /// model, optimiser and torch RNG. Throws <see cref="CheckpointMismatchException"/> saying what differs.
    /// </summary>
    public static CheckpointState Load(string path, HookedModel model, AdamW optimizer, CheckpointState expected)
    {
        if (!File.Exists(path)) throw new CheckpointMismatchException($"--resume: no checkpoint at {path}");
        SafeTensorsFile file;
        try { file = SafeTensorsFile.Open(path); }
        catch (CheckpointFormatException e) { throw new CheckpointMismatchException($"checkpoint {path} is corrupt or truncated: {e.Message}"); }
        using (file)
        {
            if (!file.Metadata.TryGetValue(StateKey, out var stateJson) || !file.Metadata.TryGetValue(HashKey, out var hash))
                throw new CheckpointMismatchException($"{path} is a safetensors file but not a SharpLens training checkpoint (no {StateKey} metadata)");
            var state = JsonSerializer.Deserialize<CheckpointState>(stateJson)
                ?? throw new CheckpointMismatchException($"{path}: training state metadata is empty");
            VerifyChecksum(path, file, hash);
            Compare(path, "model config (arch and sizes)", Canonical(state.Config), Canonical(expected.Config));
            Compare(path, "data (corpus files + tokenizer, manifest hash)", state.DataManifestHash, expected.DataManifestHash);
            Compare(path, "run options", state.RunFingerprint, expected.RunFingerprint);
            using var _ = no_grad();
            foreach (var (name, p) in model.named_parameters())
            {
                var key = "model." + name;
                if (!file.Contains(key)) throw new CheckpointMismatchException($"{path}: parameter '{name}' is missing");
                using var t = file.Load(key);
                if (!t.shape.SequenceEqual(p.shape) || t.dtype != p.dtype)
                    throw new CheckpointMismatchException($"{path}: parameter '{name}' is {t.dtype} [{string.Join(",", t.shape)}], expected {p.dtype} [{string.Join(",", p.shape)}]");
                p.copy_(t);
            }
            try { optimizer.LoadState(k => file.Contains(k) ? file.Load(k) : throw new CheckpointMismatchException($"{path}: optimizer state '{k}' is missing"), state.Step); }
            catch (InvalidDataException e) { throw new CheckpointMismatchException($"{path}: {e.Message}"); }
            using (var rng = file.Load(TorchRngKey)) random.set_rng_state(rng.clone());
            return state;
        }
    }

    static void VerifyChecksum(string path, SafeTensorsFile file, string expected)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var fs = File.OpenRead(path);
        var lenBytes = new byte[8];
        fs.ReadExactly(lenBytes);
        fs.Position = 8 + (long)BitConverter.ToUInt64(lenBytes);
        var buf = new byte[1 << 20];
        int n;
        while ((n = fs.Read(buf, 0, buf.Length)) > 0) sha.AppendData(buf, 0, n);
        var found = Convert.ToHexString(sha.GetHashAndReset());
        if (found != expected)
            throw new CheckpointMismatchException($"checkpoint {path} is corrupt: its tensor data hashes to {found[..12]}…, the header records {expected[..12]}…");
    }

    static string Canonical(string json) => JsonNode.Parse(json)!.ToJsonString();

    static void Compare(string path, string what, string found, string expected)
    {
        if (found == expected) return;
        string detail = $"\n  checkpoint: {found}\n  this run:   {expected}";
        try
        {
            if (JsonNode.Parse(found) is JsonObject a && JsonNode.Parse(expected) is JsonObject b)
                detail = string.Concat(a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key))
                    .Where(k => a[k]?.ToJsonString() != b[k]?.ToJsonString())
                    .Select(k => $"\n  {k}: checkpoint {a[k]?.ToJsonString() ?? "(absent)"}, this run {b[k]?.ToJsonString() ?? "(absent)"}"));
        }
        catch (JsonException) { }
        throw new CheckpointMismatchException($"checkpoint {path} belongs to another run: its {what} differ from this run's:{detail}\n" +
            "Start a new --out folder, or resume with the original options.");
    }
}
