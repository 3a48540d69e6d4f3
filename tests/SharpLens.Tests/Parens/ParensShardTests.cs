// `parens --shard I/N` + `merge`: a run sharded 4 ways gives the unsharded run's files; missing, foreign and surplus shards are refused.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SharpLens.Reports;
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Parens;

public class ParensShardTests
{
    // --batch 1: 16 main-pass batches, 3 ablation batches of 4 (so shard 0 of 4 gets no ablation batch and the means
    // are summed across shards), 16 (target, mode) ablations on the 2-layer, 2-head model.
    internal static readonly string[] Study = ["--n", "4", "--ablation-n", "3", "--batch", "1"];

    static (int Code, string Stderr) Cli(params string[] args) => Support.Cli.Run(args);

    internal static string TinyModel(TempDir tmp)
    {
        var modelDir = Path.Combine(tmp.Path, "model");
        var config = ParensTestModels.Config(vocab: 32016, d: 16, layers: 2, heads: 2, dHead: 8, mlp: 32);
        using (var m = ParensTestModels.Build(config, std: 0.2)) ParensTestModels.Write(m, config, modelDir);
        foreach (var f in Directory.GetFiles(Fixtures.Tokenizer("codellama"))) File.Copy(f, Path.Combine(modelDir, Path.GetFileName(f)));
        return modelDir;
    }

    static void RunShards(string model, string run, string stage, IEnumerable<int> shards, int n = 4, params string[] extra)
    {
        foreach (var i in shards)
        {
            var (code, err) = Cli(["parens", "--model", model, "--out", run, "--shard", $"{i}/{n}", "--stage", stage, .. Study, .. extra]);
            Assert.True(code == 0, $"{stage} shard {i}/{n}: exit {code}: {err}");
        }
    }

    /// <summary>results.json without the stage timings (the one quantity a rerun cannot reproduce).</summary>
    static string Results(string dir)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!;
        Assert.True(json["info"]!.AsObject().Remove("stage_seconds"), "results.json has info.stage_seconds");
        return json.ToJsonString();
    }

    static string Html(string dir) => Regex.Replace(File.ReadAllText(Path.Combine(dir, "report.html")), @"Stage times \(s\): [^<]*", "");

    [FixtureFact]
    public void A_run_sharded_four_ways_and_merged_writes_the_unsharded_runs_numbers()
    {
        using var tmp = new TempDir();
        var model = TinyModel(tmp);
        string reference = Path.Combine(tmp.Path, "reference"), run = Path.Combine(tmp.Path, "run");
        Assert.Equal(0, Cli(["parens", "--model", model, "--out", reference, .. Study]).Code);

        RunShards(model, run, "measure", [3, 0, 2, 1]);                                    // any order
        Assert.Equal(0, Cli("merge", run, "--step", "means").Code);
        RunShards(model, run, "ablate", [1, 3, 0, 2]);
        Assert.Equal(0, Cli("merge", run).Code);

        foreach (var f in ParensReport.Files.Where(f => f.EndsWith(".csv")))
            Assert.True(File.ReadAllText(Path.Combine(reference, f)) == File.ReadAllText(Path.Combine(run, f)), $"{f} differs");
        Assert.Equal(Results(reference), Results(run));
        Assert.Equal(Html(reference), Html(run));
        Assert.Contains("\"ablation_prompts\": 12", File.ReadAllText(Path.Combine(run, "results.json")));
    }

    [FixtureFact]
    public void A_finished_shard_is_skipped_and_missing_or_foreign_shards_are_named()
    {
        using var tmp = new TempDir();
        var model = TinyModel(tmp);
        var run = Path.Combine(tmp.Path, "run");
        RunShards(model, run, "measure", [0, 1, 3]);

        var done = Path.Combine(ShardedRun.ShardDir(run, "measure", new(1, 4)), "records.json");
        var written = File.GetLastWriteTimeUtc(done);
        RunShards(model, run, "measure", [1]);                                               // resubmitted: skipped
        Assert.Equal(written, File.GetLastWriteTimeUtc(done));

        var (code, err) = Cli("merge", run, "--step", "means");
        Assert.Equal(2, code);
        Assert.Contains("expected 4 measure shards, missing 2/4", err);
        (code, err) = Cli(["parens", "--model", model, "--out", run, "--shard", "2/4", "--stage", "ablate", .. Study]);
        Assert.Equal(2, code);
        Assert.Contains("expected the reduced mean activations", err);

        // shard 2 of another seed: refused before anything is written
        (code, err) = Cli(["parens", "--model", model, "--out", run, "--shard", "2/4", .. Study, "--seed", "1"]);
        Assert.Equal(2, code);
        Assert.Contains("holds a run of other inputs", err);
        Assert.Contains("options", err);
        Assert.False(Directory.Exists(ShardedRun.ShardDir(run, "measure", new(2, 4))));

        // a shard folder copied in from another run (another seed) is named by the merge
        var other = Path.Combine(tmp.Path, "other");
        RunShards(model, other, "measure", [2], 4, "--seed", "1");
        Directory.Move(ShardedRun.ShardDir(other, "measure", new(2, 4)), ShardedRun.ShardDir(run, "measure", new(2, 4)));
        (code, err) = Cli("merge", run, "--step", "means");
        Assert.Equal(2, code);
        Assert.Contains("shards of another run", err);
        Assert.Contains("measure 2/4: prompts hash", err);
        Assert.False(Directory.Exists(ParensRun.MeansDir(run)));
    }

    [FixtureFact]
    public void More_shards_than_work_units_are_refused_and_nothing_is_written()
    {
        using var tmp = new TempDir();
        var model = TinyModel(tmp);
        var run = Path.Combine(tmp.Path, "run");
        var (code, err) = Cli(["parens", "--model", model, "--out", run, "--shard", "0/17", .. Study]);
        Assert.Equal(2, code);
        Assert.Contains("--shard: 17 shards are more than the work units: expected at most 16 (16 batches of 1 prompts in the main pass, 16 ablations)", err);
        Assert.False(Directory.Exists(run));
    }
}
