// `sharplens slurm parens`: the scripts it writes (steps, dependencies, resources, study options) and what it refuses.
using System.Diagnostics;
using SharpLens.Reports;
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Parens;

public class ParensSlurmTests
{
    static string[] Slurm(string model, string run, params string[] extra) =>
        ["slurm", "parens", "--model", model, "--out", run, .. ParensShardTests.Study, "--sharplens", "/opt/sharplens/sharplens", .. extra];

    [FixtureFact]
    public void The_scripts_chain_the_steps_with_afterok_and_pass_every_study_option()
    {
        using var tmp = new TempDir();
        var model = ParensShardTests.TinyModel(tmp);
        var run = Path.Combine(tmp.Path, "run");
        var (code, err) = Support.Cli.Run(Slurm(model, run, "--array", "4", "--partition", "gpu", "--cpus", "4", "--mem", "8G", "--gpus", "1", "--time", "01:00:00"));
        Assert.True(code == 0, err);

        var batch = File.ReadAllText(Path.Combine(run, "slurm", "parens.sbatch"));
        foreach (var line in new[] { "#SBATCH --partition=gpu", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=8G", "#SBATCH --time=01:00:00",
                     "SHARPLENS=(/opt/sharplens/sharplens)", $"RUN={run}", "SHARDS=4", $"  --model {model}", "  --n 4", "  --ablation-n 3", "  --batch 1", "  --seed 0" })
            Assert.Contains(line + "\n", batch);
        Assert.Contains("--out \"$RUN\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\" --stage measure", batch);
        Assert.Contains("merge \"$RUN\" --step means", batch);
        var submit = File.ReadAllText(Path.Combine(run, "slurm", "submit.sh"));
        foreach (var line in new[] { "MEASURE_ARRAY=${MEASURE_ARRAY-0-3}", "ABLATE_ARRAY=${ABLATE_ARRAY-0-3}", "after=(--dependency=afterok:$id)", "submit merge --output=" })
            Assert.Contains(line, submit);
        Assert.Contains("SHARD_RESOURCES=(--gpus=1)", submit);
        Assert.True(Order(submit, "submit measure", "submit means", "submit ablate", "submit merge"), "steps out of order in submit.sh");
        Assert.Equal(0, BashSyntax(Path.Combine(run, "slurm", "parens.sbatch")));
        Assert.Equal(0, BashSyntax(Path.Combine(run, "slurm", "submit.sh")));
        Assert.True(File.Exists(ShardedRun.ManifestPath(run)));
    }

    static bool Order(string text, params string[] parts) =>
        parts.Select(p => text.IndexOf(p, StringComparison.Ordinal)).Zip(parts.Skip(1).Select(p => text.IndexOf(p, StringComparison.Ordinal))).All(x => x.First >= 0 && x.First < x.Second);

    static int BashSyntax(string script)
    {
        using var p = Process.Start(new ProcessStartInfo("bash") { ArgumentList = { "-n", script }, RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode;
    }

    [FixtureFact]
    public void An_array_larger_than_the_work_or_submit_without_slurm_is_refused_and_nothing_is_written()
    {
        using var tmp = new TempDir();
        var model = ParensShardTests.TinyModel(tmp);
        var run = Path.Combine(tmp.Path, "run");
        var (code, err) = Support.Cli.Run(Slurm(model, run, "--array", "40"));
        Assert.Equal(2, code);
        Assert.Contains("--array: 40 shards are more than the work units: expected at most 16", err);
        Assert.False(Directory.Exists(run));

        var path = Environment.GetEnvironmentVariable("PATH");
        try
        {
            Environment.SetEnvironmentVariable("PATH", tmp.Path);                            // no sbatch there
            (code, err) = Support.Cli.Run(Slurm(model, run, "--array", "4", "--submit"));
        }
        finally { Environment.SetEnvironmentVariable("PATH", path); }
        Assert.Equal(2, code);
        Assert.StartsWith("error: --submit needs Slurm's sbatch on PATH, found none", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(Directory.Exists(run));
    }
}
