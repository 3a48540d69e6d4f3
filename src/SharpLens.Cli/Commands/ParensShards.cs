// `parens --shard I/N`: one shard of a sharded run (measure or ablate stage), written atomically under the run folder.
using SharpLens.Analysis.Parens;
using SharpLens.Reports;
using SharpLens.Tokenization;

namespace SharpLens.Cli.Commands;

internal static class ParensShards
{
    /// <summary>A run's inputs opened once: tokenizer, plan, model (memory-mapped) and the identity every shard must share.</summary>
    internal sealed class OpenRun(ParensCommand.StudyInputs inputs, Tokenizer tok, ParensPlan plan, HookedModel model, ParensRunManifest manifest) : IDisposable
    {
        public ParensCommand.StudyInputs Inputs { get; } = inputs;
        public Tokenizer Tokenizer { get; } = tok;
        public ParensPlan Plan { get; } = plan;
        public HookedModel Model { get; } = model;
        public ParensRunManifest Manifest { get; } = manifest;
        public void Dispose() => Model.Dispose();
    }

    /// <summary>
    /// Opens the inputs and checks that <paramref name="shards"/> fits the work (every shard gets at least one batch of
    /// the main pass and one ablation); nothing is written.
    /// </summary>
    public static OpenRun Open(ParensCommand.StudyInputs inputs, int shards, string option)
    {
        var model = CliCommon.LoadModel(inputs.ModelDir, inputs.DType);
        try
        {
            var tok = ParensCommand.LoadTokenizer(inputs.TokenizerDir);
            ParensCommand.CheckVocabulary(tok, model, inputs.TokenizerDir);
            var (prompts, closed) = ParensCommand.Prepare(tok, inputs.Options);
            var plan = new ParensPlan(prompts, closed, inputs.Options);
            int nl = model.Info.NLayers, nh = model.Info.NHeads, max = plan.MaxShards(nl, nh);
            if (shards > max)
                throw new UsageException($"{option}: {shards} shards are more than the work units: expected at most {max} " +
                    $"({plan.MainChunks.Count} batches of {inputs.Options.Batch} prompts in the main pass, {ParensPlan.AblationUnits(nl, nh).Count} ablations)");
            var manifest = new ParensRunManifest
            {
                CodeVersion = ParensRunManifest.CurrentCodeVersion,
                ModelDir = Path.GetFullPath(inputs.ModelDir), ModelHash = ParensRunManifest.HashModel(inputs.ModelDir),
                TokenizerDir = Path.GetFullPath(inputs.TokenizerDir), TokenizerHash = Analysis.SsmInterpret.StudyManifest.TokenizerHash(inputs.TokenizerDir, "--tokenizer"),
                PromptsHash = ParensRunManifest.HashPrompts(plan), Options = inputs.Options, DType = inputs.DType,
                Model = ModelFacts.Of(model), Shards = shards,
            };
            return new OpenRun(inputs, tok, plan, model, manifest);
        }
        catch { model.Dispose(); throw; }
    }

    public static int RunShard(ParensCommand.StudyInputs inputs, Shard shard, string stage)
    {
        if (stage is not (ParensRun.Measure or ParensRun.Ablate)) throw new UsageException($"--stage must be measure or ablate, found '{stage}'");
        var runDir = Path.GetFullPath(CliCommon.OutputFolder(inputs.Out, "--out"));
        using var run = Open(inputs, shard.Count, "--shard");
        var shardDir = ShardedRun.ShardDir(runDir, stage, shard);
        if (ShardedRun.IsDone<ParensShardManifest>(shardDir, m => m.Run.Differences(run.Manifest)))
        {
            Console.WriteLine($"{stage} shard {shard} of {runDir} is already done; skipped");
            return 0;
        }
        MeanActivations? means = null;
        if (stage == ParensRun.Ablate)
        {
            var meansDir = ParensRun.MeansDir(runDir);
            if (!File.Exists(Path.Combine(meansDir, "manifest.json")))
                throw new InvalidDataException($"{meansDir}: expected the reduced mean activations (run `sharplens merge {runDir} --step means` after every measure shard), found none");
            var diffs = ShardedRun.Read<ParensRunManifest>(Path.Combine(meansDir, "manifest.json")).Differences(run.Manifest);
            if (diffs.Count > 0) throw new InvalidDataException($"{meansDir} belongs to another run ({string.Join("; ", diffs)})");
        }
        ShardedRun.Claim(runDir, run.Manifest, m => m.Differences(run.Manifest));
        try
        {
            var seconds = new Dictionary<string, double>();
            if (stage == ParensRun.Measure)
            {
                using var measured = ProgressBars.Run(progress => ParensStudy.Measure(run.Model, run.Plan, shard, progress, seconds));
                var manifest = new ParensShardManifest(run.Manifest, stage, shard.Index, shard.Count, seconds);
                CliCommon.WriteFolder(shardDir, tmp => { ParensRun.WriteMeasure(tmp, manifest, measured); return tmp; });
            }
            else
            {
                means = ParensRun.ReadMeans(ParensRun.MeansDir(runDir));
                var runs = ProgressBars.Run(progress => ParensStudy.Ablate(run.Model, run.Plan, means, shard, progress, seconds));
                var manifest = new ParensShardManifest(run.Manifest, stage, shard.Index, shard.Count, seconds);
                CliCommon.WriteFolder(shardDir, tmp => { ParensRun.WriteAblate(tmp, manifest, runs); return tmp; });
            }
        }
        finally { means?.Dispose(); }
        Console.WriteLine($"wrote {shardDir}");
        return 0;
    }
}
