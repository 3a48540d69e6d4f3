// `parens-dynamics --shard I/N` + `merge` on a tiny trained snapshot series: the unsharded run's files; bad shards and runs refused.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SharpLens.Reports;
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Parens;

public sealed class ParensDynamicsShardTests(TrainedSeries series) : IClassFixture<TrainedSeries>, IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    string[] Dynamics(string output, params string[] extra) =>
        ["parens-dynamics", "--checkpoints", series.Snapshots, "--out", output, "--n", "3", "--depths", "1-2", "--batch", "4", "--top-k", "2", .. extra];

    /// <summary>A report file without the per-checkpoint seconds, the one thing a rerun cannot reproduce.</summary>
    static string WithoutSeconds(string file)
    {
        var text = File.ReadAllText(file);
        if (file.EndsWith(".json"))
        {
            var json = JsonNode.Parse(text)!;
            foreach (var step in json["info"]!["steps"]!.AsArray()) step!.AsObject().Remove("seconds");
            return json.ToJsonString();
        }
        return file.EndsWith(".html") ? Regex.Replace(text, "Seconds per checkpoint: [^<]*", "") : text;
    }

    [Theory]
    [InlineData(2)]   // steps {1} and {2, 3}: a shard measures a checkpoint after its first
    [InlineData(3)]   // one checkpoint each
    public void Sharded_and_merged_the_study_writes_the_unsharded_runs_files(int shards)
    {
        // Given the 3-snapshot series studied once and in shards run last first
        string reference = dir.File("reference"), run = dir.File("run");
        var (code, stderr) = Support.Cli.Run(Dynamics(reference));
        Assert.True(code == 0, stderr);
        for (int i = shards - 1; i >= 0; i--)
        {
            (code, stderr) = Support.Cli.Run(Dynamics(run, "--shard", $"{i}/{shards}"));
            Assert.True(code == 0, stderr);
        }

        // When merged
        (code, stderr) = Support.Cli.Run("merge", run);

        // Then every CSV is byte-identical and results.json and report.html are the same but for the seconds per checkpoint
        Assert.True(code == 0, stderr);
        foreach (var f in ParensDynamicsReport.Files)
        {
            string a = Path.Combine(reference, f), b = Path.Combine(run, f);
            if (f.EndsWith(".csv")) Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
            else Assert.Equal(WithoutSeconds(a), WithoutSeconds(b));
        }
        var steps = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!["info"]!["steps"]!.AsArray();
        Assert.Equal([1L, 2L, 3L], steps.Select(s => s!["step"]!.GetValue<long>()));
        Assert.Equal(3 * 2 * 2 + 1, File.ReadAllLines(Path.Combine(run, "heads.csv")).Length);   // 3 steps × 2 layers × 2 heads, header
        Assert.Equal(shards, Directory.GetDirectories(Path.Combine(run, "shards")).Length);
    }

    [Fact]
    public void Bad_shards_and_runs_are_one_error_and_write_nothing()
    {
        var run = dir.File("run");

        // more shards than checkpoints
        var (code, stderr) = Support.Cli.Run(Dynamics(run, "--shard", "0/4"));
        Assert.Equal(2, code);
        Assert.Contains("--shard: 4 shards are more than the work units: expected at most 3 (the checkpoints, steps 1, 2, 3)", stderr);
        Assert.False(Directory.Exists(run));

        // a resubmitted finished shard is skipped; a shard with other options is refused; the merge names the missing shard
        Assert.Equal(0, Support.Cli.Run(Dynamics(run, "--shard", "0/2")).Code);
        var steps = Path.Combine(run, "shards", "steps-0000-of-0002", "steps.json");
        var written = File.GetLastWriteTimeUtc(steps);
        Assert.Equal(0, Support.Cli.Run(Dynamics(run, "--shard", "0/2")).Code);
        Assert.Equal(written, File.GetLastWriteTimeUtc(steps));
        (code, stderr) = Support.Cli.Run(["parens-dynamics", "--checkpoints", series.Snapshots, "--out", run, "--n", "4", "--depths", "1-2", "--batch", "4", "--top-k", "2", "--shard", "1/2"]);
        Assert.Equal(2, code);
        Assert.Contains("holds a run of other inputs", stderr);
        Assert.False(Directory.Exists(Path.Combine(run, "shards", "steps-0001-of-0002")));
        (code, stderr) = Support.Cli.Run("merge", run);
        Assert.Equal(2, code);
        Assert.Contains("expected 2 steps shards, missing 1/2", stderr);
        Assert.False(File.Exists(Path.Combine(run, "results.json")));

        // a shard of another run (other options) moved in: the merge names it and what differs
        var other = dir.File("other");
        Assert.Equal(0, Support.Cli.Run(["parens-dynamics", "--checkpoints", series.Step(3), series.Step(1), series.Step(2), "--out", other, "--n", "3", "--depths", "1-2",
            "--batch", "4", "--top-k", "1", "--shard", "1/2"]).Code);
        Directory.Move(Path.Combine(other, "shards", "steps-0001-of-0002"), Path.Combine(run, "shards", "steps-0001-of-0002"));
        (code, stderr) = Support.Cli.Run("merge", run);
        Assert.Equal(2, code);
        Assert.Contains("shards of another run", stderr);
        Assert.Contains("steps 1/2: options", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(run, "results.json")));
    }

    [Fact]
    public void Slurm_writes_a_checkpoint_array_and_bounds_it_by_the_checkpoints()
    {
        var run = dir.File("run");
        string[] Slurm(int array) => ["slurm", "parens-dynamics", "--out", run, "--array", $"{array}", "--sharplens", "/opt/sharplens/sharplens",
            "--", "--checkpoints", series.Snapshots, "--n", "3"];

        var (code, stderr) = Support.Cli.Run(Slurm(4));
        Assert.Equal(2, code);
        Assert.Contains("--array: 4 shards are more than the work units: expected at most 3 checkpoints", stderr);
        Assert.False(Directory.Exists(run));

        (code, stderr) = Support.Cli.Run(Slurm(3));
        Assert.True(code == 0, stderr);
        var batch = File.ReadAllText(Path.Combine(run, "slurm", "parens-dynamics.sbatch"));
        Assert.Contains("exec \"${SHARPLENS[@]}\" parens-dynamics \"${STUDY[@]}\" --out \"$RUN\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\" ;;", batch);
        Assert.Contains($"  --checkpoints {series.Snapshots}\n", batch);
        var submit = File.ReadAllText(Path.Combine(run, "slurm", "submit.sh"));
        Assert.Contains("STEPS_ARRAY=${STEPS_ARRAY-0-2}", submit);
        Assert.Contains("[ -z \"$STEPS_ARRAY\" ] || submit steps --array=\"$STEPS_ARRAY\"", submit);
    }
}
