// Saved checkpoints of one training run (`train --snapshot-every` writes OUT/snapshots/step_NNNNNN): found, ordered by step, checked to be one run.
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SharpLens.Tokenization;

namespace SharpLens.Loading;

/// <summary>One checkpoint folder of a run and the training step in its name.</summary>
public sealed record SeriesCheckpoint(long Step, string Directory);

/// <summary>
/// Finds the checkpoints of one run and refuses a mixture before any model is loaded: every folder must be a model
/// (config.json + weights), configs must agree on every key except <see cref="IgnoredConfigKeys"/>, and the tokenizer
/// files (<see cref="TokenizerFiles.Hash"/>) must be identical.
/// </summary>
public static partial class CheckpointSeries
{
    /// <summary>config.json keys that may differ between checkpoints of one run (storage and bookkeeping, not architecture).</summary>
    public static IReadOnlyList<string> IgnoredConfigKeys { get; } = ["torch_dtype", "transformers_version", "_name_or_path", "use_cache"];

    [GeneratedRegex(@"^step_(\d{1,18})$")]
    private static partial Regex StepName();

    /// <summary>
    /// Each path is a checkpoint folder named <c>step_N</c> or a folder holding such folders; returns them ordered by
    /// step. Throws on an empty list, a path that is neither, a repeated step, or checkpoints of different runs.
    /// </summary>
    public static IReadOnlyList<SeriesCheckpoint> Discover(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) throw new ArgumentException("expected at least one checkpoint folder, found an empty list");
        var found = new List<SeriesCheckpoint>();
        foreach (var raw in paths)
        {
            var dir = Path.GetFullPath(raw);
            if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"checkpoint folder not found: {raw}");
            if (File.Exists(Path.Combine(dir, "config.json"))) { found.Add(new SeriesCheckpoint(Step(dir), dir)); continue; }
            var children = System.IO.Directory.GetDirectories(dir).Where(d => StepName().IsMatch(Path.GetFileName(d))).ToList();
            if (children.Count == 0)
                throw new InvalidDataException($"{raw}: expected a model folder named step_N (config.json + weights) or a folder of step_N model folders, found neither");
            found.AddRange(children.Select(c => new SeriesCheckpoint(Step(c), c)));
        }
        var repeated = found.GroupBy(c => c.Step).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
            throw new InvalidDataException($"step {repeated.Key} appears more than once ({string.Join(", ", repeated.Select(c => c.Directory))}); expected one checkpoint per step");
        var series = found.OrderBy(c => c.Step).ToList();
        RequireOneRun(series);
        return series;
    }

    static long Step(string dir)
    {
        var m = StepName().Match(Path.GetFileName(dir));
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidDataException($"{dir}: expected the folder name step_N (N = the training step, as `train --snapshot-every` writes it), found '{Path.GetFileName(dir)}'");
    }

    /// <summary>Every checkpoint is a model (config + weights) with the first one's config (up to <see cref="IgnoredConfigKeys"/>) and tokenizer.</summary>
    public static void RequireOneRun(IReadOnlyList<SeriesCheckpoint> series)
    {
        if (series.Count == 0) throw new ArgumentException("expected at least one checkpoint folder, found an empty list");
        JsonObject? first = null;
        string? firstTok = null;
        foreach (var c in series)
        {
            var config = HfConfig.Load(Path.Combine(c.Directory, "config.json")).Json;
            using (ModelLoader.OpenWeights(c.Directory, out _)) { }
            string? tok = TokenizerFiles.Names.Any(f => File.Exists(Path.Combine(c.Directory, f))) ? TokenizerFiles.Hash(c.Directory) : null;
            if (first is null) { (first, firstTok) = (config, tok); continue; }
            var head = series[0].Directory;
            foreach (var key in first.Select(kv => kv.Key).Union(config.Select(kv => kv.Key)).Except(IgnoredConfigKeys))
                if (!JsonNode.DeepEquals(first[key], config[key]))
                    throw new InvalidDataException($"checkpoints of different models: config.json '{key}' is {Show(first[key])} in {head} but {Show(config[key])} in {c.Directory}; expected checkpoints of one run");
            if (tok != firstTok)
                throw new InvalidDataException(tok is null || firstTok is null
                    ? $"{(tok is null ? c.Directory : head)} has no tokenizer files but {(tok is null ? head : c.Directory)} has; expected the same tokenizer in every checkpoint"
                    : $"checkpoints with different tokenizers: {head} (sha256 {firstTok[..12]}…) and {c.Directory} (sha256 {tok[..12]}…); expected checkpoints of one run");
        }
    }

    static string Show(JsonNode? v) => v is null ? "absent" : v.ToJsonString();
}
