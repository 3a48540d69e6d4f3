// `sharplens merge RUN_DIR`: a sharded run's shards → the reduced mean activations (--step means) or the unsharded run's report.
using System.CommandLine;
using SharpLens.Analysis.Parens;
using SharpLens.Reports;

namespace SharpLens.Cli.Commands;

internal static class MergeCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run-dir") { Description = "the run folder the shards wrote (`parens|probe|ssm-study|parens-dynamics|data parens|data probe-pairs … --shard I/N --out RUN_DIR`)" };
        var step = new Option<string>("--step")
        {
            Description = "means: sum the measure shards' partial sums and counts of the mean activations in batch order (before the ablate stage); " +
                          "report: results.json, CSVs and report.html (a dataset build: its JSONL file), the same as an unsharded run (default)",
            DefaultValueFactory = _ => "report",
        };
        var output = new Option<string?>("--out") { Description = "report folder, or the folder of a dataset build's JSONL file (default: RUN_DIR)" };
        var cmd = new Command("merge", "Merge the shards of a sharded study run (see docs/cluster.md).") { run, step, output };
        cmd.SetAction(r =>
        {
            var runDir = Path.GetFullPath(r.GetValue(run)!);
            var stepName = r.GetValue(step)!;
            if (stepName is not ("means" or "report")) throw new UsageException($"--step must be means or report, found '{stepName}'");
            var outDir = Path.GetFullPath(CliCommon.OutputFolder(r.GetValue(output) ?? runDir, "--out"));
            if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"run folder not found: {runDir}");
            var study = ShardedRun.StudyOf(runDir);
            if (study != "parens" && stepName != "report") throw new UsageException($"--step {stepName}: a {study} run has no reduction step; merge it with --step report");
            if (study == "probe") return ProbeSharding.Merge(runDir, outDir);
            if (study == "ssm-study") return SsmSharding.Merge(runDir, outDir);
            if (study is DataSharding.Parens or DataSharding.Pairs) return DataSharding.Merge(runDir, outDir);
            if (study == DynamicsSharding.Study) return DynamicsSharding.Merge(runDir, outDir);
            var manifest = ReadRun(runDir);
            if (stepName == "means") return Means(runDir, manifest);
            Require(runDir, manifest, ParensRun.Measure);
            Require(runDir, manifest, ParensRun.Ablate);
            var result = Report(runDir, manifest);
            CliCommon.WriteFolder(outDir, tmp => { ParensReport.Write(result, tmp); return tmp; });
            Summary.Print(result, outDir);
            return 0;
        });
        return cmd;
    }

    /// <summary>RUN/manifest.json of a parens run, or an error saying what the folder lacks.</summary>
    internal static ParensRunManifest ReadRun(string runDir)
    {
        var path = ShardedRun.ManifestPath(runDir);
        var manifest = ShardedRun.Read<ParensRunManifest>(path);
        if (manifest.Study != "parens") throw new InvalidDataException($"{path}: expected a parens run, found study '{manifest.Study}'");
        return manifest;
    }

    /// <summary>Throws naming the missing shards of <paramref name="stage"/> and those written by another run.</summary>
    internal static void Require(string runDir, ParensRunManifest manifest, string stage)
    {
        var (missing, mismatched) = ParensRun.Status(runDir, manifest, stage);
        Refuse(runDir, manifest.Shards, stage, missing, mismatched, "sharplens parens … --shard I/{0} --stage " + stage + " --out {1}");
    }

    /// <summary>The error for shards of another run, or else for missing shards; <paramref name="rerun"/> formats the command (0: N, 1: RUN).</summary>
    internal static void Refuse(string runDir, int shards, string stage, IReadOnlyList<int> missing, IReadOnlyList<string> mismatched, string rerun)
    {
        if (mismatched.Count > 0)
            throw new InvalidDataException($"{runDir}: shards of another run (this run vs the shard's): {string.Join(" | ", mismatched)}; expected shards of one run (same model, tokenizer, options, seed and code version)");
        if (missing.Count > 0)
            throw new InvalidDataException($"{runDir}: expected {shards} {stage} shards, missing {string.Join(", ", missing.Select(i => $"{i}/{shards}"))}; " +
                $"run them (`{string.Format(System.Globalization.CultureInfo.InvariantCulture, rerun, shards, runDir)}`) or resubmit (`sharplens slurm … --submit` resubmits only missing shards)");
    }

    /// <summary>The reduction step: every measure shard's per-batch parts summed in global batch order (the unsharded run's order).</summary>
    static int Means(string runDir, ParensRunManifest manifest)
    {
        Require(runDir, manifest, ParensRun.Measure);
        using var total = new MeanActivations();
        int next = 0;
        for (int i = 0; i < manifest.Shards; i++)
        {
            var dir = ShardedRun.ShardDir(runDir, ParensRun.Measure, new Shard(i, manifest.Shards));
            foreach (var (chunk, part) in ParensRun.ReadMeanParts(dir))
                using (part)
                {
                    if (chunk != next) throw new InvalidDataException($"{dir}: expected the mean-activation part of ablation batch {next}, found batch {chunk}");
                    total.Merge(part);
                    next++;
                }
        }
        var meansDir = ParensRun.MeansDir(runDir);
        CliCommon.WriteFolder(meansDir, tmp => { ParensRun.WriteMeans(tmp, manifest, total); return tmp; });
        Console.WriteLine($"wrote {meansDir} (sums and counts of {next} ablation batches from {manifest.Shards} shards)");
        return 0;
    }

    /// <summary>The study's result from every shard: records in shard order, ablations in unit order, stage seconds summed.</summary>
    static ParensStudyResult Report(string runDir, ParensRunManifest manifest)
    {
        var tok = ParensCommand.LoadTokenizer(manifest.TokenizerDir);
        var tokHash = Analysis.SsmInterpret.StudyManifest.TokenizerHash(manifest.TokenizerDir, "tokenizer");
        if (tokHash != manifest.TokenizerHash)
            throw new InvalidDataException($"{manifest.TokenizerDir}: the tokenizer changed since the shards ran (hash {tokHash}, the run has {manifest.TokenizerHash})");
        var (prompts, closed) = ParensCommand.Prepare(tok, manifest.Options);
        var plan = new ParensPlan(prompts, closed, manifest.Options);
        if (ParensRunManifest.HashPrompts(plan) is var ph && ph != manifest.PromptsHash)
            throw new InvalidDataException($"{runDir}: the options now give other prompts (hash {ph}, the run has {manifest.PromptsHash}); was the dataset file or source folder changed?");
        var measure = Enumerable.Range(0, manifest.Shards).Select(i => ShardedRun.ShardDir(runDir, ParensRun.Measure, new Shard(i, manifest.Shards))).ToList();
        var ablate = Enumerable.Range(0, manifest.Shards).Select(i => ShardedRun.ShardDir(runDir, ParensRun.Ablate, new Shard(i, manifest.Shards))).ToList();
        var records = ParensMeasured.Concat(measure.Select(ParensRun.ReadRecords));
        var runs = ablate.SelectMany(ParensRun.ReadAblate).ToList();
        var seconds = new Dictionary<string, double>();
        foreach (var dir in measure.Concat(ablate))
            foreach (var (stage, s) in ShardedRun.Read<ParensShardManifest>(Path.Combine(dir, "manifest.json")).Seconds) ParensStudy.AddSeconds(seconds, stage, s);
        return ParensStudy.Assemble(manifest.Model, plan, records, runs, seconds, id => tok.IdToToken(id) ?? id.ToString());
    }
}
