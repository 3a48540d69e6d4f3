// `ssm-study --shard I/N` and the ssm-study branch of `merge`: (model, task, layer) probe units in shards, merged into the report.
using System.Text.Json;
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.SsmInterpret;
using SharpLens.Loading;
using SharpLens.Reports;

namespace SharpLens.Cli.Commands;

internal static class SsmSharding
{
    /// <summary>
    /// Runs this shard's probe units, model by model (features of the tasks it needs, from the shared feature cache when
    /// another shard extracted them), and the spectra of each model whose first unit it holds; writes them under RUN.
    /// </summary>
    public static int RunShard(StudyManifest study, IReadOnlyList<TaskPairs> pairs, SsmStudyOptions options, object settings, IFeatureStore? store,
        Shard shard, string output)
    {
        var runDir = Path.GetFullPath(output);
        var units = SsmStudy.Units(study, pairs, options);
        if (shard.Count > units.Count)
            throw new UsageException($"--shard: {shard.Count} shards are more than the work units: expected at most {units.Count} ({study.Entries.Count} models × tasks × probed layers)");
        var manifest = new SsmRunManifest
        {
            CodeVersion = ParensRunManifest.CurrentCodeVersion, StudyManifest = Path.GetFullPath(study.Path), StudyManifestHash = ProbeRunManifest.HashFile(study.Path),
            ModelHashes = study.Entries.Select(e => ParensRunManifest.HashModel(e.Directory)).ToList(),
            PairsDir = Path.GetFullPath(Path.GetDirectoryName(pairs[0].Source)!), Tasks = pairs.Select(t => t.Task).ToList(),
            PairsHashes = pairs.Select(t => ProbeRunManifest.HashFile(t.Source)).ToList(),
            // as results.json writes the settings (nulls left out), so the merged file is the same
            Settings = JsonSerializer.SerializeToNode(settings, ReportJson.Options)!, Units = units.Count, Shards = shard.Count,
        };
        var shardDir = ShardedRun.ShardDir(runDir, SsmShards.Stage, shard);
        if (ShardedRun.IsDone<SsmShardManifest>(shardDir, m => m.Run.Differences(manifest)))
        {
            Console.WriteLine($"ssm-study shard {shard} of {runDir} is already done; skipped");
            return 0;
        }
        ShardedRun.Claim(runDir, manifest, m => m.Differences(manifest));
        var (start, length) = shard.Range(units.Count);
        var firstUnit = units.Select((u, i) => (u.Model, i)).GroupBy(x => x.Model).ToDictionary(g => g.Key, g => g.First().i);
        var parts = ProgressBars.Run(progress => units.Skip(start).Take(length).GroupBy(u => u.Model)
            .Select(g => SsmStudy.Measure(ModelFolders.Default, study, g.Key, pairs, options, g.ToList(), spectra: firstUnit[g.Key] >= start, store, progress)).ToList());
        CliCommon.WriteFolder(shardDir, tmp => { SsmShards.Write(tmp, new SsmShardManifest(manifest, shard.Index, shard.Count), parts); return tmp; });
        Console.WriteLine($"wrote {shardDir}");
        return 0;
    }

    /// <summary>Every shard's parts → the unsharded run's results.json, CSVs and report.html.</summary>
    public static int Merge(string runDir, string outDir)
    {
        var manifest = ShardedRun.Read<SsmRunManifest>(ShardedRun.ManifestPath(runDir));
        var (missing, mismatched) = SsmShards.Status(runDir, manifest);
        MergeCommand.Refuse(runDir, manifest.Shards, SsmShards.Stage, missing, mismatched, "sharplens ssm-study … --shard I/{0} --out {1}");
        var study = StudyManifest.Load(manifest.StudyManifest);
        var pairs = SsmStudyCommand.ReadPairs(manifest.PairsDir, manifest.Tasks);
        var hashes = pairs.Select(t => ProbeRunManifest.HashFile(t.Source)).ToList();
        if (ProbeRunManifest.HashFile(study.Path) != manifest.StudyManifestHash || !hashes.SequenceEqual(manifest.PairsHashes))
            throw new InvalidDataException($"{runDir}: the study manifest {study.Path} or the pairs in {manifest.PairsDir} changed since the shards ran; expected the files the shards read");
        // the shards' pairs paths as the first shard was given them, for the report's task table
        pairs = pairs.Zip(manifest.Settings["pairs"]!.AsArray()).Select(x => x.First with { Source = x.Second!.GetValue<string>() }).ToList();
        var result = SsmStudy.Assemble(study, pairs, SsmShards.Read(runDir, manifest)) with { Settings = manifest.Settings };
        CliCommon.WriteFolder(outDir, tmp => { SsmStudyReport.Write(result, tmp); return tmp; });
        SsmStudyCommand.Print(result, outDir);
        return 0;
    }
}
