// `probe --shard I/N` and the probe branch of `merge`: (model, layer) units probed in shards, merged into probe.json/CSV/plots.
using System.Text.Json;
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.Probes;
using SharpLens.Loading;
using SharpLens.Reports;

namespace SharpLens.Cli.Commands;

internal static class ProbeSharding
{
    /// <summary>Probes this shard's (model, layer) units (features are extracted for those layers only) and writes them under RUN.</summary>
    public static int RunShard(IReadOnlyList<string> dirs, string pairsPath, IReadOnlyList<PairRecord> records, ProbeStudyOptions options, object settings,
        Shard shard, string output)
    {
        var runDir = Path.GetFullPath(output);
        var models = new List<ProbeModelInput>();
        foreach (var dir in dirs)
        {
            int nl;
            using (var m = ModelLoader.Load(dir)) nl = m.Info.NLayers;
            if ((options.Layers ?? []).Where(l => l >= nl).ToList() is { Count: > 0 } bad)
                throw new ArgumentException($"{dir}: expected layers in 0..{nl - 1}, found {string.Join(",", bad)}");
            models.Add(new ProbeModelInput(Path.GetFullPath(dir), ParensRunManifest.HashModel(dir), Analysis.SsmInterpret.StudyManifest.TokenizerHash(dir, dir), nl));
        }
        var units = models.SelectMany((m, i) => (options.Layers ?? Enumerable.Range(0, m.NLayers).ToArray()).Select(l => new ProbeUnit(i, l))).ToList();
        if (shard.Count > units.Count)
            throw new UsageException($"--shard: {shard.Count} shards are more than the work units: expected at most {units.Count} ({models.Count} model(s) × their probed layers)");
        var manifest = new ProbeRunManifest
        {
            CodeVersion = ParensRunManifest.CurrentCodeVersion, PairsPath = pairsPath, PairsHash = ProbeRunManifest.HashFile(pairsPath),
            Models = models, Settings = JsonSerializer.SerializeToNode(settings)!, Units = units, Shards = shard.Count,
        };
        var shardDir = ShardedRun.ShardDir(runDir, ProbeShards.Stage, shard);
        if (ShardedRun.IsDone<ProbeShardManifest>(shardDir, m => m.Run.Differences(manifest)))
        {
            Console.WriteLine($"probe shard {shard} of {runDir} is already done; skipped");
            return 0;
        }
        ShardedRun.Claim(runDir, manifest, m => m.Differences(manifest));
        var runs = shard.Take(units).GroupBy(u => u.Model).Select(g => new ProbeShardRun(g.Key,
            ProbeStudy.Run(ModelFolders.Default, dirs[g.Key], records, options with { Layers = g.Select(u => u.Layer).ToArray() }, Console.Error.WriteLine))).ToList();
        CliCommon.WriteFolder(shardDir, tmp => { ProbeShards.Write(tmp, new ProbeShardManifest(manifest, shard.Index, shard.Count), runs); return tmp; });
        Console.WriteLine($"wrote {shardDir}");
        return 0;
    }

    /// <summary>Every shard's probes → the unsharded run's probe.json, probe.csv and plots.</summary>
    public static int Merge(string runDir, string outDir)
    {
        var manifest = ShardedRun.Read<ProbeRunManifest>(ShardedRun.ManifestPath(runDir));
        var (missing, mismatched) = ProbeShards.Status(runDir, manifest);
        MergeCommand.Refuse(runDir, manifest.Shards, ProbeShards.Stage, missing, mismatched, "sharplens probe … --shard I/{0} --out {1}");
        var runs = ProbeShards.Merge(runDir, manifest);
        var files = CliCommon.WriteFolder(outDir, tmp => ProbeReport.Write(tmp, manifest.PairsPath, runs, manifest.Settings));
        Console.WriteLine(ProbeCommand.Table(runs));
        Console.WriteLine($"wrote {Path.Combine(outDir, Path.GetFileName(files.Json))}, {Path.GetFileName(files.Csv)} and {files.Plots.Count} plot files");
        return 0;
    }
}
