// The folder of a sharded parens run: its identity (manifest.json), each shard's records, the reduced mean activations.
using System.Security.Cryptography;
using System.Text.Json;
using SharpLens.Analysis.Parens;
using SharpLens.Loading;

namespace SharpLens.Reports;

/// <summary>
/// What every shard of one run must share: the code, the model's files (config + weights, hashed), the tokenizer's files,
/// the prompts the options produce (hashed after tokenization, so dataset files and mined sources are covered), the
/// options and the shard count. <see cref="ModelDir"/> and <see cref="TokenizerDir"/> are where the first shard found them.
/// </summary>
public sealed record ParensRunManifest
{
    public string Study { get; init; } = "parens";
    public required string CodeVersion { get; init; }
    public required string ModelDir { get; init; }
    public required string ModelHash { get; init; }
    public required string TokenizerDir { get; init; }
    public required string TokenizerHash { get; init; }
    public required string PromptsHash { get; init; }
    public required ParensStudyOptions Options { get; init; }
    public required string DType { get; init; }
    public required ModelFacts Model { get; init; }
    public required int Shards { get; init; }

    /// <summary>The fields that differ from <paramref name="other"/> ("what: this vs other"), paths and model facts aside (the hashes cover them).</summary>
    public IReadOnlyList<string> Differences(ParensRunManifest other)
    {
        var diffs = new List<string>();
        void Check(string what, object a, object b)
        {
            string ja = JsonSerializer.Serialize(a, ShardedRun.Json), jb = JsonSerializer.Serialize(b, ShardedRun.Json);
            if (ja != jb) diffs.Add($"{what} {ja} vs {jb}");
        }
        Check("study", Study, other.Study);
        Check("code version", CodeVersion, other.CodeVersion);
        Check("model weights hash", ModelHash, other.ModelHash);
        Check("tokenizer hash", TokenizerHash, other.TokenizerHash);
        Check("prompts hash", PromptsHash, other.PromptsHash);
        Check("options", Options, other.Options);
        Check("dtype", DType, other.DType);
        Check("shard count", Shards, other.Shards);
        return diffs;
    }

    /// <summary>The code version: the informational version of the library (with the commit it was built from).</summary>
    public static string CurrentCodeVersion =>
        typeof(ParensStudy).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    /// <summary>SHA-256 (16 hex digits) over the model's config and weight files, names and contents, streamed.</summary>
    public static string HashModel(string modelDir)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in ModelLoader.WeightFiles(modelDir))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(f) + "\n"));
            using var fs = File.OpenRead(f);
            var buffer = new byte[1 << 20];
            for (int n; (n = fs.Read(buffer)) > 0;) sha.AppendData(buffer, 0, n);
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }

    /// <summary>SHA-256 (16 hex digits) of the prepared prompts (ids, token ids, labels, counterfactuals) in order.</summary>
    public static string HashPrompts(ParensPlan plan) => HashPrompts(plan.Prompts.Concat(plan.ClosedPrompts));

    /// <summary>SHA-256 (16 hex digits) of prepared prompts (ids, token ids, labels, counterfactuals) in order.</summary>
    public static string HashPrompts(IEnumerable<PreparedPrompt> prompts)
    {
        var text = string.Join("\n", prompts
            .Select(p => $"{p.Example.Id} {p.Depth} {p.Closed} {string.Join(",", p.Ids)} {p.LabelId} {p.CounterfactualId}"));
        return Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();
    }
}

/// <summary>A finished shard's manifest: the run's identity, which stage and shard, and its stage seconds.</summary>
public sealed record ParensShardManifest(ParensRunManifest Run, string Stage, int Index, int Count, Dictionary<string, double> Seconds);

/// <summary>
/// Layout of a run folder (RUN): <c>manifest.json</c>; <c>shards/measure-I-of-N/</c> (manifest.json, records.json and
/// means.safetensors: one part of sums and counts per ablation batch); <c>means/</c> (the parts summed in batch order);
/// <c>shards/ablate-I-of-N/</c> (manifest.json, ablation.json); the merged report beside them. Writers fill a folder
/// the caller moves into place atomically.
/// </summary>
public static class ParensRun
{
    public static string MeansDir(string run) => Path.Combine(run, "means");

    public const string Measure = "measure", Ablate = "ablate";
    /// <summary>Writes a measure shard into <paramref name="dir"/>.</summary>
    public static void WriteMeasure(string dir, ParensShardManifest manifest, ParensMeasuredShard measured)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "records.json"), ShardedRun.ToJson(measured.Records));
        SafeTensorsWriter.Write(Path.Combine(dir, "means.safetensors"), measured.MeanParts.SelectMany(p => p.Part.Tensors($"{p.Chunk}|")).ToList());
        File.WriteAllText(Path.Combine(dir, "manifest.json"), ShardedRun.ToJson(manifest));              // last: a folder with a manifest is complete
    }

    public static ParensMeasured ReadRecords(string shardDir) => ShardedRun.Read<ParensMeasured>(Path.Combine(shardDir, "records.json"));

    /// <summary>A measure shard's mean-activation parts, by global batch index.</summary>
    public static IReadOnlyList<(int Chunk, MeanActivations Part)> ReadMeanParts(string shardDir)
    {
        var path = Path.Combine(shardDir, "means.safetensors");
        using var file = SafeTensorsFile.Open(path);
        var byChunk = file.Keys.GroupBy(k => k.Split('|')[0]).Select(g =>
        {
            if (!int.TryParse(g.Key, out var chunk)) throw new InvalidDataException($"{path}: expected tensors named CHUNK|DEPTH|HOOK|sum or …|count, found '{g.First()}'");
            return (chunk, MeanActivations.FromTensors(g.Select(k => (k[(k.IndexOf('|') + 1)..], file.Load(k)))));
        });
        return byChunk.OrderBy(p => p.chunk).ToList();
    }

    /// <summary>Writes the reduced means (one <see cref="MeanActivations"/> over every ablation prompt).</summary>
    public static void WriteMeans(string dir, ParensRunManifest manifest, MeanActivations means)
    {
        Directory.CreateDirectory(dir);
        SafeTensorsWriter.Write(Path.Combine(dir, "means.safetensors"), means.Tensors().ToList());
        File.WriteAllText(Path.Combine(dir, "manifest.json"), ShardedRun.ToJson(manifest));
    }

    public static MeanActivations ReadMeans(string dir)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(dir, "means.safetensors"));
        return MeanActivations.FromTensors(file.Keys.Select(k => (k, file.Load(k))));
    }

    /// <summary>Writes an ablate shard into <paramref name="dir"/>.</summary>
    public static void WriteAblate(string dir, ParensShardManifest manifest, IReadOnlyList<AblationRun> runs) =>
        ShardedRun.WriteShard(dir, manifest, ("ablation.json", runs));

    public static IReadOnlyList<AblationRun> ReadAblate(string shardDir) => ShardedRun.Read<List<AblationRun>>(Path.Combine(shardDir, "ablation.json"));

    /// <summary>The shards of <paramref name="stage"/> missing from <paramref name="run"/> and those finished by another run.</summary>
    public static (IReadOnlyList<int> Missing, IReadOnlyList<string> Mismatched) Status(string run, ParensRunManifest expected, string stage) =>
        ShardedRun.Status<ParensShardManifest>(run, stage, expected.Shards, (m, index) =>
            m.Stage != stage || m.Index != index ? [.. expected.Differences(m.Run), $"stage/shard {m.Stage} {m.Index} vs {stage} {index}"] : expected.Differences(m.Run));
}
