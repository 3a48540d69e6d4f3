// `parens-dynamics --shard I/N` and the parens-dynamics branch of `merge`: checkpoints measured in shards, merged into the report.
using SharpLens.Analysis.Parens;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Tokenization;

namespace SharpLens.Cli.Commands;

internal static class DynamicsSharding
{
    public const string Study = DynamicsShards.Study;

    /// <summary>
    /// Measures this shard's checkpoints (a contiguous range of the series in step order) and writes their rows under RUN.
    /// Every checkpoint's weights are hashed once for the run manifest (by whoever writes it first); later shards hash
    /// only the checkpoints they measure and take the others' hashes from RUN/manifest.json.
    /// </summary>
    public static int RunShard(IReadOnlyList<SeriesCheckpoint> series, string tokDir, Tokenizer tok, ParensDynamicsOptions options, IModelSource models, string dtype,
        Shard shard, string output)
    {
        var runDir = Path.GetFullPath(output);
        if (shard.Count > series.Count)
            throw new UsageException($"--shard: {shard.Count} shards are more than the work units: expected at most {series.Count} (the checkpoints, steps {string.Join(", ", series.Select(c => c.Step))})");
        if (options.TopK < 1) throw new ArgumentException($"the top counting-head set needs k ≥ 1, found {options.TopK}");
        var (start, length) = shard.Range(series.Count);
        var (prompts, closed) = ParensCommand.Prepare(tok, options.Study);
        var known = File.Exists(ShardedRun.ManifestPath(runDir)) && ShardedRun.StudyOf(runDir) == Study
            ? ShardedRun.Read<DynamicsRunManifest>(ShardedRun.ManifestPath(runDir)).Checkpoints : [];
        var manifest = new DynamicsRunManifest
        {
            CodeVersion = ParensRunManifest.CurrentCodeVersion,
            Checkpoints = series.Select((c, i) => new DynamicsCheckpointInput(c.Step, c.Directory,
                i >= start && i < start + length || i >= known.Count || known[i].Step != c.Step || known[i].Directory != c.Directory
                    ? ParensRunManifest.HashModel(c.Directory) : known[i].Hash)).ToList(),
            TokenizerDir = tokDir, TokenizerHash = Analysis.SsmInterpret.StudyManifest.TokenizerHash(tokDir, "--tokenizer"),
            PromptsHash = ParensRunManifest.HashPrompts(prompts.Concat(closed)), Options = options, DType = dtype, Shards = shard.Count,
        };
        var shardDir = ShardedRun.ShardDir(runDir, DynamicsShards.Stage, shard);
        if (ShardedRun.IsDone<DynamicsShardManifest>(shardDir, m => m.Run.Differences(manifest)))
        {
            Console.WriteLine($"parens-dynamics shard {shard} of {runDir} is already done; skipped");
            return 0;
        }
        ShardedRun.Claim(runDir, manifest, m => m.Differences(manifest));
        var steps = ProgressBars.Run(progress =>
        {
            var measured = new List<DynamicsStepResult>();
            for (int i = start; i < start + length; i++)
                measured.Add(ParensDynamics.MeasureStep(series[i], i, series.Count, prompts, closed, options, models, progress, measured.FirstOrDefault()));
            return measured;
        });
        CliCommon.WriteFolder(shardDir, tmp => { DynamicsShards.Write(tmp, new DynamicsShardManifest(manifest, shard.Index, shard.Count), steps); return tmp; });
        Console.WriteLine($"wrote {shardDir} (steps {string.Join(", ", steps.Select(s => s.Step.Step))})");
        return 0;
    }

    /// <summary>Every shard's steps → the unsharded run's results.json, CSVs and report.html.</summary>
    public static int Merge(string runDir, string outDir)
    {
        var manifest = ShardedRun.Read<DynamicsRunManifest>(ShardedRun.ManifestPath(runDir));
        var (missing, mismatched) = DynamicsShards.Status(runDir, manifest);
        MergeCommand.Refuse(runDir, manifest.Shards, DynamicsShards.Stage, missing, mismatched, "sharplens parens-dynamics … --shard I/{0} --out {1}");
        var tok = ParensCommand.LoadTokenizer(manifest.TokenizerDir);
        var tokHash = Analysis.SsmInterpret.StudyManifest.TokenizerHash(manifest.TokenizerDir, "tokenizer");
        if (tokHash != manifest.TokenizerHash)
            throw new InvalidDataException($"{manifest.TokenizerDir}: the tokenizer changed since the shards ran (hash {tokHash}, the run has {manifest.TokenizerHash})");
        var (prompts, closed) = ParensCommand.Prepare(tok, manifest.Options.Study);
        if (ParensRunManifest.HashPrompts(prompts.Concat(closed)) is var ph && ph != manifest.PromptsHash)
            throw new InvalidDataException($"{runDir}: the options now give other prompts (hash {ph}, the run has {manifest.PromptsHash}); was the dataset file or source folder changed?");
        var steps = DynamicsShards.Read(runDir, manifest);
        if (!steps.Select(s => s.Step.Step).SequenceEqual(manifest.Checkpoints.Select(c => c.Step)))
            throw new InvalidDataException($"{runDir}: expected the steps {string.Join(", ", manifest.Checkpoints.Select(c => c.Step))} across the shards, found {string.Join(", ", steps.Select(s => s.Step.Step))}");
        var result = ParensDynamics.Assemble(steps, prompts, closed, manifest.Options);
        CliCommon.WriteFolder(outDir, tmp => { ParensDynamicsReport.Write(result, tmp); return tmp; });
        ParensDynamicsCommand.Print(result, outDir);
        return 0;
    }
}
