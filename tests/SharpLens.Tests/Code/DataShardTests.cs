// Sharded dataset builds (`data parens --variant mined`, `data probe-pairs` with --shard, then `merge`): byte-identical to one process; bad input.
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Code;

public sealed class DataShardTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    static (int Code, string Stderr) Cli(params string[] args) => Support.Cli.Run(args);

    /// <summary>
    /// Seven Python files in two folders (one with a parse error, so the skip counts travel too) plus one that is not
    /// UTF-8 (skipped by the scan): enough sites and functions that every label is drawn from several files.
    /// </summary>
    string Source()
    {
        var src = dir.File("src");
        Directory.CreateDirectory(Path.Combine(src, "sub"));
        for (int i = 1; i <= 5; i++)
            File.WriteAllText(Path.Combine(src, $"f{i}.py"), $$"""
                def f{{i}}(a, b=({{i}}, 2)):
                    x = max(min(a, b[0]), abs(b[1] - {{i}}))
                    if len(str(x)) > {{i}}:
                        return print(str(int(x)))
                    return g(h(k(a)))

                class C{{i}}:
                    def m(self, v):
                        total = 0
                        for w in range(len(v)):
                            total = total + w
                        return [total for _ in range(len(v))]
                """);
        File.WriteAllText(Path.Combine(src, "sub", "z.py"), Probes.ProbeCommandTests.Python);
        File.WriteAllText(Path.Combine(src, "sub", "err.py"), "def bad(:\n    return (1, (2)\n");
        File.WriteAllBytes(Path.Combine(src, "sub", "latin1.py"), [0x78, 0x20, 0x3D, 0x20, 0xE9, 0x0A]);
        return src;
    }

    static readonly string[] Mined = ["data", "parens", "--variant", "mined", "--depths", "1-3", "--per-depth", "4/2/2", "--seed", "5", "--context-lines", "3"];

    [Fact]
    public void Mined_parens_sharded_three_ways_merge_to_the_unsharded_file_byte_for_byte()
    {
        // Given a source folder of 7 readable files, built once and as 3 shards run out of order
        var src = Source();
        string reference = dir.File("mined.jsonl"), run = dir.File("run");
        var (code, stderr) = Cli([.. Mined, "--source", src, "--out", reference]);
        Assert.True(code == 0, stderr);
        foreach (var i in new[] { 2, 0, 1 })
        {
            (code, stderr) = Cli([.. Mined, "--source", src, "--out", run, "--shard", $"{i}/3"]);
            Assert.True(code == 0, stderr);
        }
        // a finished shard resubmitted is skipped, not redone
        var part = Path.Combine(run, "shards", "files-0001-of-0003", "parts.json");
        var written = File.GetLastWriteTimeUtc(part);
        (code, stderr) = Cli([.. Mined, "--source", src, "--out", run, "--shard", "1/3"]);
        Assert.True(code == 0, stderr);
        Assert.Equal(written, File.GetLastWriteTimeUtc(part));

        // When the shards are merged (into RUN and into another folder)
        (code, stderr) = Cli("merge", run);
        Assert.True(code == 0, stderr);
        (code, stderr) = Cli("merge", run, "--out", dir.File("elsewhere"));
        Assert.True(code == 0, stderr);

        // Then the file is the unsharded one, byte for byte, and the report counts the same skips
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(Path.Combine(run, "mined.jsonl")));
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(Path.Combine(dir.File("elsewhere"), "mined.jsonl")));
        Assert.Contains("read 7 files", stderr);
        Assert.Contains("1 not UTF-8", stderr);
        Assert.Contains("1 with parse errors", stderr);
        Assert.Equal(3 * 8, File.ReadAllLines(reference).Length);
        Assert.True(File.ReadAllLines(reference).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("source").GetString()).Distinct().Count() > 2);
    }

    [Theory]
    [InlineData("ast-distance", 2)]
    [InlineData("sibling", 3)]
    [InlineData("dataflow", 7)]
    public void Probe_pairs_sharded_merge_to_the_unsharded_file_byte_for_byte(string task, int shards)
    {
        // Given the pairs of one task built once and in shards (a function limit below the candidates, so the seeded
        // selection over all files decides which functions are kept)
        var src = Source();
        string[] pairs = ["data", "probe-pairs", "--task", task, "--source", src, "--per-label", "15", "--max-functions", "9", "--seed", "3"];
        string reference = dir.File($"{task}.jsonl"), run = dir.File("run-" + task);
        var (code, stderr) = Cli([.. pairs, "--out", reference]);
        Assert.True(code == 0, stderr);
        for (int i = shards - 1; i >= 0; i--)
        {
            (code, stderr) = Cli([.. pairs, "--out", run, "--shard", $"{i}/{shards}"]);
            Assert.True(code == 0, stderr);
        }

        (code, stderr) = Cli("merge", run);

        Assert.True(code == 0, stderr);
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(Path.Combine(run, $"{task}.jsonl")));
        Assert.Contains("9 selected", stderr);
    }

    [Fact]
    public void Bad_shards_and_runs_are_one_error_and_write_nothing()
    {
        var src = Source();
        var run = dir.File("run");

        // more shards than source files
        var (code, stderr) = Cli([.. Mined, "--source", src, "--out", run, "--shard", "0/8"]);
        Assert.Equal(2, code);
        Assert.Contains("--shard: 8 shards are more than the work units: expected at most 7 (the source files read from", stderr);
        Assert.False(Directory.Exists(run));

        // a shard of the same folder with other options (another run) is refused before it writes anything
        Assert.Equal(0, Cli([.. Mined, "--source", src, "--out", run, "--shard", "0/2"]).Code);
        (code, stderr) = Cli([.. Mined, "--lang", "all", "--source", src, "--out", run, "--shard", "1/2"]);
        Assert.Equal(2, code);
        Assert.Contains("holds a run of other inputs", stderr);
        Assert.False(Directory.Exists(Path.Combine(run, "shards", "files-0001-of-0002")));

        // a shard of another builder into the same folder
        (code, stderr) = Cli("data", "probe-pairs", "--task", "sibling", "--source", src, "--out", run, "--shard", "0/3");
        Assert.Equal(2, code);
        Assert.Contains("holds a data-parens run; expected a data-probe-pairs run", stderr);
        Assert.False(Directory.Exists(Path.Combine(run, "shards", "files-0000-of-0003")));

        // the merge names the missing shard
        (code, stderr) = Cli("merge", run);
        Assert.Equal(2, code);
        Assert.Contains("expected 2 files shards, missing 1/2", stderr);

        // a shard of another build copied in: the merge names it and what differs
        var other = dir.File("other");
        Assert.Equal(0, Cli("data", "probe-pairs", "--task", "sibling", "--source", src, "--out", other, "--shard", "1/2").Code);
        Directory.Move(Path.Combine(other, "shards", "files-0001-of-0002"), Path.Combine(run, "shards", "files-0001-of-0002"));
        (code, stderr) = Cli("merge", run);
        Assert.Equal(2, code);
        Assert.Contains("shards of another run", stderr);
        Assert.Contains("files 1/2: study data-parens vs data-probe-pairs", stderr);

        // a source file changed between the shards and the merge
        Directory.Delete(Path.Combine(run, "shards", "files-0001-of-0002"), true);
        Assert.Equal(0, Cli([.. Mined, "--source", src, "--out", run, "--shard", "1/2"]).Code);
        for (int i = 1; i <= 5; i++) File.AppendAllText(Path.Combine(src, $"f{i}.py"), "\nprint((1))\n");
        (code, stderr) = Cli("merge", run);
        Assert.Equal(2, code);
        Assert.Contains("the file changed since the run was planned", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(run, "mined.jsonl")));

        // --shard on a variant without source files
        (code, stderr) = Cli("data", "parens", "--out", dir.File("tpl"), "--shard", "0/2");
        Assert.Equal(2, code);
        Assert.Contains("--shard needs --variant mined", stderr);
        Assert.False(Directory.Exists(dir.File("tpl")));
    }

    [Fact]
    public void Slurm_writes_a_file_array_and_its_merge_and_bounds_the_array_by_the_source_files()
    {
        var src = Source();
        var run = dir.File("run");
        string[] Slurm(string study, int array, params string[] options) =>
            ["slurm", study, "--out", run, "--array", $"{array}", "--sharplens", "/opt/sharplens/sharplens", "--", .. options];

        var (code, stderr) = Cli(Slurm("data-parens", 8, "--variant", "mined", "--source", src));
        Assert.Equal(2, code);
        Assert.Contains("--array: 8 shards are more than the work units: expected at most 7 source files", stderr);
        Assert.False(Directory.Exists(run));
        (code, stderr) = Cli(Slurm("data-parens", 2, "--source", src));
        Assert.Equal(2, code);
        Assert.Contains("--shard needs --variant mined", stderr);
        Assert.False(Directory.Exists(run));

        (code, stderr) = Cli(Slurm("data-probe-pairs", 7, "--task", "dataflow", "--source", src));
        Assert.True(code == 0, stderr);
        var batch = File.ReadAllText(Path.Combine(run, "slurm", "data-probe-pairs.sbatch"));
        Assert.Contains("exec \"${SHARPLENS[@]}\" data probe-pairs \"${STUDY[@]}\" --out \"$RUN\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\" ;;", batch);
        Assert.Contains("\"${SHARPLENS[@]}\" merge \"$RUN\" || rc=$?", batch);
        Assert.Contains("  --task dataflow\n", batch);
        var submit = File.ReadAllText(Path.Combine(run, "slurm", "submit.sh"));
        Assert.Contains("FILES_ARRAY=${FILES_ARRAY-0-6}", submit);
        Assert.True(submit.IndexOf("submit files ", StringComparison.Ordinal) < submit.IndexOf("submit merge", StringComparison.Ordinal));
    }
}
