// The folder of a sharded run, whatever the study: RUN/manifest.json, RUN/shards/STAGE-I-of-N/, JSON in and out, which shards are missing.
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Analysis.Parens;
using SharpLens.Training;

namespace SharpLens.Reports;

/// <summary>
/// Layout shared by the sharded studies: <c>RUN/manifest.json</c> (the run's identity, written by the first shard) and
/// one folder per finished shard, <c>RUN/shards/STAGE-I-of-N/</c>, whose <c>manifest.json</c> is written last.
/// </summary>
public static class ShardedRun
{
    internal static readonly JsonSerializerOptions Json = ReportJson.Options;

    public static string ManifestPath(string run) => Path.Combine(run, "manifest.json");
    public static string ShardDir(string run, string stage, Shard shard) => Path.Combine(run, "shards", $"{stage}-{shard.Index:D4}-of-{shard.Count:D4}");

    public static string ToJson<T>(T value) => JsonSerializer.Serialize(value, Json);

    /// <summary>Reads a JSON file written by this class; a malformed or empty one is an <see cref="InvalidDataException"/> naming it.</summary>
    public static T Read<T>(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"expected {path}, found no such file");
        try { return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: expected a JSON object, found null"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: malformed JSON ({e.Message})"); }
    }

    /// <summary>The study a run folder holds ("parens", "probe", "data-parens", …), from its manifest.</summary>
    public static string StudyOf(string run)
    {
        var path = ManifestPath(run);
        if (!File.Exists(path)) throw new InvalidDataException($"{run}: expected manifest.json (written by the first `sharplens parens|probe|ssm-study|parens-dynamics|data … --shard I/N --out {run}`), found none");
        return Read<JsonObject>(path)["study"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: expected a \"study\" field, found none");
    }

    /// <summary>Writes RUN/manifest.json, or throws when the one there differs (<paramref name="differences"/> of the one there).</summary>
    public static void Claim<T>(string run, T manifest, Func<T, IReadOnlyList<string>> differences)
    {
        var path = ManifestPath(run);
        if (File.Exists(path))
        {
            var study = JsonSerializer.SerializeToNode(manifest, Json)?["study"]?.GetValue<string>();
            if (study is not null && StudyOf(run) is var there && there != study)
                throw new InvalidDataException($"{run} holds a {there} run; expected a {study} run of the same inputs, or a new --out folder");
            var diffs = differences(Read<T>(path));
            if (diffs.Count > 0)
                throw new InvalidDataException($"{run} holds a run of other inputs ({string.Join("; ", diffs)}; listed as that run vs this one); expected the same model, tokenizer, options, seed and code version, or a new --out folder");
            return;
        }
        AtomicFile.WriteText(path, ToJson(manifest));
    }

    /// <summary>Writes a shard's files into <paramref name="dir"/> as JSON, its manifest last (a folder with a manifest is complete).</summary>
    public static void WriteShard(string dir, object manifest, params (string File, object Value)[] files)
    {
        Directory.CreateDirectory(dir);
        foreach (var (file, value) in files) File.WriteAllText(Path.Combine(dir, file), JsonSerializer.Serialize(value, value.GetType(), Json));
        File.WriteAllText(Path.Combine(dir, "manifest.json"), JsonSerializer.Serialize(manifest, manifest.GetType(), Json));
    }

    /// <summary>
    /// Whether <paramref name="shardDir"/> holds a finished shard of this run; throws when it holds one of another run
    /// (<paramref name="differences"/> of its manifest not empty).
    /// </summary>
    public static bool IsDone<TShard>(string shardDir, Func<TShard, IReadOnlyList<string>> differences)
    {
        var path = Path.Combine(shardDir, "manifest.json");
        if (!File.Exists(path)) return false;
        var diffs = differences(Read<TShard>(path));
        if (diffs.Count > 0) throw new InvalidDataException($"{shardDir} was written by another run ({string.Join("; ", diffs)}); expected this run's inputs");
        return true;
    }

    /// <summary>
    /// The shards of <paramref name="stage"/> not finished in <paramref name="run"/> (no manifest) and those finished by
    /// another run (<paramref name="differences"/> of the shard's manifest file and index is not empty: "stage I/N: what differs").
    /// </summary>
    public static (IReadOnlyList<int> Missing, IReadOnlyList<string> Mismatched) Status<TShard>(string run, string stage, int shards,
        Func<TShard, int, IReadOnlyList<string>> differences)
    {
        var missing = new List<int>(); var mismatched = new List<string>();
        for (int i = 0; i < shards; i++)
        {
            var path = Path.Combine(ShardDir(run, stage, new Shard(i, shards)), "manifest.json");
            if (!File.Exists(path)) { missing.Add(i); continue; }
            var diffs = differences(Read<TShard>(path), i);
            if (diffs.Count > 0) mismatched.Add($"{stage} {i}/{shards}: {string.Join("; ", diffs)}");
        }
        return (missing, mismatched);
    }
}
