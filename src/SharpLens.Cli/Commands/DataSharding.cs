// `data parens --variant mined --shard I/N`, `data probe-pairs --shard I/N` and their branch of `merge`: source files in shards → the builder's JSONL.
using SharpLens.Analysis.Parens;
using SharpLens.Code;
using SharpLens.Code.Datasets;
using SharpLens.Reports;

namespace SharpLens.Cli.Commands;

/// <summary>
/// A dataset build cut by source files: each shard parses its contiguous range of the plan's files and stores their
/// candidates (mined sites, functions); the merge concatenates them in file order and makes the unsharded builder's
/// global, seeded selection (<see cref="MinedParens.Select"/>, <see cref="ProbeFunctions.Select"/>), reading again only
/// the files it draws from, so the merged file is byte for byte the unsharded one.
/// </summary>
internal static class DataSharding
{
    public const string Parens = "data-parens", Pairs = "data-probe-pairs";

    /// <summary>`data parens --variant mined` options that change the file.</summary>
    internal sealed record MinedSettings(IReadOnlyList<int> Depths, string PerDepth, long Seed, string Lang, int ContextLines, int MaxFiles, bool AllowEmpty);

    /// <summary>`data probe-pairs` options that change the file.</summary>
    internal sealed record PairsSettings(string Task, long Seed, int MaxFunctions, int? PerLabel, int MaxCodeTokens, bool AllowEmpty);

    public static int RunMined(MinedSettings s, IReadOnlyCollection<Language> languages, string source, Shard shard, string output)
    {
        if (s.ContextLines < 1) throw new UsageException($"--context-lines: expected ≥ 1 context line, found {s.ContextLines}");
        return RunShard<MinedSite>(Parens, "mined.jsonl", SourcePlan.Of(source, languages, s.MaxFiles), s, shard, output,
            (file, i) => MinedParens.Sites(file, i, s.Depths) is { } sites ? (sites, false) : ([], true));
    }

    public static int RunPairs(PairsSettings s, string source, Shard shard, string output) =>
        RunShard<FunctionCandidate>(Pairs, s.Task + ".jsonl", SourcePlan.Of(source, [Language.Python]), s, shard, output, ProbeFunctions.Candidates);

    /// <summary>Parses this shard's files (<paramref name="unit"/>: a file's candidates, and whether it had parse errors) and writes them under RUN.</summary>
    static int RunShard<T>(string study, string outputName, SourcePlan plan, object settings, Shard shard, string output,
        Func<SourceFile, int, (IReadOnlyList<T> Items, bool ParseErrors)> unit)
    {
        var runDir = Path.GetFullPath(output);
        if (shard.Count > plan.Files.Count)
            throw new UsageException($"--shard: {shard.Count} shards are more than the work units: expected at most {plan.Files.Count} (the source files read from {plan.Directory})");
        var manifest = new DataRunManifest
        {
            Study = study, CodeVersion = ParensRunManifest.CurrentCodeVersion, SourceDir = plan.Directory, Files = plan.Files, FilesHash = plan.FilesHash,
            Scan = plan.Scan, Settings = DataShards.Settings(settings), Output = outputName, Shards = shard.Count,
        };
        var shardDir = ShardedRun.ShardDir(runDir, DataShards.Stage, shard);
        if (ShardedRun.IsDone<DataShardManifest>(shardDir, m => m.Run.Differences(manifest)))
        {
            Console.Error.WriteLine($"{study} shard {shard} of {runDir} is already done; skipped");
            return 0;
        }
        ShardedRun.Claim(runDir, manifest, m => m.Differences(manifest));
        var (start, length) = shard.Range(plan.Files.Count);
        var items = new List<T>();
        int errors = 0;
        for (int i = start; i < start + length; i++)
        {
            var (found, bad) = unit(plan.Read(i), i);
            items.AddRange(found);
            if (bad) errors++;
        }
        CliCommon.WriteFolder(shardDir, tmp =>
        {
            DataShards.Write(tmp, new DataShardManifest(manifest with { Files = null }, shard.Index, shard.Count), new DataShardPart<T>(errors, items));
            return tmp;
        });
        Console.Error.WriteLine($"wrote {shardDir} ({length} files, {items.Count} candidates)");
        return 0;
    }

    /// <summary>Every shard's candidates → the unsharded builder's JSONL file, <c>OUT/mined.jsonl</c> or <c>OUT/TASK.jsonl</c>.</summary>
    public static int Merge(string runDir, string outDir)
    {
        var manifest = ShardedRun.Read<DataRunManifest>(ShardedRun.ManifestPath(runDir));
        var (missing, mismatched) = DataShards.Status(runDir, manifest);
        MergeCommand.Refuse(runDir, manifest.Shards, DataShards.Stage, missing, mismatched,
            manifest.Study == Parens ? "sharplens data parens --variant mined … --shard I/{0} --out {1}" : "sharplens data probe-pairs … --shard I/{0} --out {1}");
        var plan = manifest.Plan();
        if (plan.FilesHash != manifest.FilesHash)
            throw new InvalidDataException($"{ShardedRun.ManifestPath(runDir)}: its file list does not match its files hash ({plan.FilesHash} vs {manifest.FilesHash}); expected the manifest the shards wrote");
        var file = plan.Cached();
        var output = Path.Combine(outDir, manifest.Output);
        if (manifest.Study == Parens)
        {
            var s = Settings<MinedSettings>(runDir, manifest);
            var (sites, errors) = DataShards.Read<MinedSite>(runDir, manifest);
            var sizes = SplitSizes.Parse(s.PerDepth);
            var (examples, report) = MinedParens.Select(sites, file, plan.Scan.ToScan(), errors, s.Depths, sizes, s.Seed, s.ContextLines);
            DataCommand.PrintMining(report, s.Depths, sizes);
            DataCommand.WriteExamples(output, examples, "mined", s.AllowEmpty);
        }
        else
        {
            var s = Settings<PairsSettings>(runDir, manifest);
            var (candidates, errors) = DataShards.Read<FunctionCandidate>(runDir, manifest);
            var (functions, report) = ProbeFunctions.Select(candidates, file, plan.Scan.ToScan(), errors, s.MaxFunctions, s.Seed, maxTokens: s.MaxCodeTokens);
            DataProbePairsCommand.WritePairs(s, functions, report, output);
        }
        return 0;
    }

    static T Settings<T>(string runDir, DataRunManifest manifest)
    {
        try { return System.Text.Json.JsonSerializer.Deserialize<T>(manifest.Settings, ReportJson.Options) ?? throw new System.Text.Json.JsonException("null"); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{ShardedRun.ManifestPath(runDir)}: expected the {manifest.Study} settings, found {manifest.Settings.ToJsonString()} ({e.Message})"); }
    }
}
