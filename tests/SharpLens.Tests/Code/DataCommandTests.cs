// The `sharplens data` commands end to end: files written, byte-identical under a seed, clear errors on bad input.

namespace SharpLens.Tests.Code;

public sealed class DataCommandTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sharplens-data-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static int Run(params string[] args) => Support.Cli.Run(["data", .. args]).Code;

    [Fact]
    public void Parens_command_writes_the_same_bytes_for_the_same_seed()
    {
        string a = Path.Combine(dir, "a.jsonl"), b = Path.Combine(dir, "b.jsonl"), c = Path.Combine(dir, "c.jsonl");

        Assert.Equal(0, Run("parens", "--out", a, "--depths", "1-4", "--per-depth", "35/15/15", "--seed", "0"));
        Assert.Equal(0, Run("parens", "--out", b, "--depths", "1-4", "--per-depth", "35/15/15", "--seed", "0"));
        Assert.Equal(0, Run("parens", "--out", c, "--variant", "closed", "--per-depth", "5/0/0"));

        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(4 * 65, File.ReadAllLines(a).Length);
        Assert.Equal(4 * 5, File.ReadAllLines(c).Length);
        Assert.Contains("\"label_text\":\")))\"", File.ReadAllText(a));
    }

    [Fact]
    public void Probe_pairs_command_writes_pairs_and_bad_input_fails_cleanly()
    {
        File.WriteAllText(Path.Combine(dir, "m.py"), "def f(a, b=1):\n    x = a + b\n    if x:\n        return x\n    return f(x)\n");
        var output = Path.Combine(dir, "pairs.jsonl");

        Assert.Equal(0, Run("probe-pairs", "--task", "dataflow", "--source", dir, "--out", output, "--per-label", "3"));
        Assert.NotEmpty(File.ReadAllLines(output));
        Assert.Equal(2, Run("probe-pairs", "--task", "dataflow", "--source", Path.Combine(dir, "missing"), "--out", output));
        Assert.Equal(2, Run("parens", "--out", output, "--variant", "mined"));   // mined needs --source
        Assert.NotEqual(0, Run("probe-pairs", "--task", "nonsense", "--source", dir, "--out", output));
    }

    [Fact]
    public void No_records_is_an_error_unless_allow_empty()
    {
        var source = Path.Combine(dir, "src");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "notes.txt"), "no code here\n");
        var output = Path.Combine(dir, "mined.jsonl");
        var (code, stderr) = Support.Cli.Run("data", "parens", "--out", output, "--variant", "mined", "--source", source);
        Assert.Equal(2, code);
        Assert.Contains("error: expected at least one mined example, found none", stderr);
        Assert.False(File.Exists(output));
        Assert.Equal(0, Run("parens", "--out", output, "--variant", "mined", "--source", source, "--allow-empty"));
        Assert.Equal(0, new FileInfo(output).Length);
    }
}
