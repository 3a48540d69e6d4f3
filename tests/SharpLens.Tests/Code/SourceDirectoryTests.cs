// Directory-level tests: non-UTF-8 files skipped and counted, mining and probe pairs on a temp dir, the real stdlib.
using SharpLens.Code;
using SharpLens.Code.Datasets;
using SharpLens.Tests.Support;
using Xunit.Abstractions;

namespace SharpLens.Tests.Code;

public sealed class SourceDirectoryTests(ITestOutputHelper output) : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sharplens-code-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    void Write(string name, string text) => File.WriteAllText(Path.Combine(dir, name), text);

    [Fact]
    public void Non_utf8_files_are_skipped_and_counted()
    {
        Write("ok.py", "x = 1\n");
        File.WriteAllBytes(Path.Combine(dir, "latin1.py"), [0x73, 0x20, 0x3D, 0x20, 0x22, 0xE9, 0x22, 0x0A]);   // s = "é" in Latin-1
        Write("notes.txt", "not code");
        var scan = new SourceScan();

        var files = SourceFiles.Read(dir, scan).ToList();

        Assert.Equal(["ok.py"], files.Select(f => f.RelativePath));
        Assert.Equal(1, scan.SkippedNotUtf8);
        Assert.Equal(1, scan.Read);
    }

    [Fact]
    public void Mined_sites_are_real_closing_runs_outside_strings()
    {
        Write("a.py", "def f(x):\n    s = \")\"  # )\n    return g(h(x), k(1))\n");
        var (examples, report) = MinedParens.Mine(dir, [Language.Python], [1, 2], new SplitSizes(10, 0, 0), seed: 0, contextLines: 2);

        // closing runs: "f(x)" → ")" (1), "h(x)" → ")" (1), "k(1))" → "))" (2). The ")" in the string and comment are not leaves of type ")".
        Assert.Equal(3, examples.Count);
        Assert.Equal(2, report.SitesPerDepth[1]);
        Assert.Equal(1, report.SitesPerDepth[2]);
        Assert.Equal(8, report.Shortfall[1]);                                  // 10 asked, 2 found
        var two = examples.Single(e => e.Depth == 2);
        Assert.Equal("))", two.LabelText);
        Assert.Equal(2, two.OpenParens);                                       // g( and k( are open
        Assert.Equal("    s = \")\"  # )\n    return g(h(x), k(1", two.Prompt); // 2 lines of context
        Assert.Equal(3, two.Line);
        Assert.Equal("a.py", two.Source);
    }

    [Fact]
    public void Probe_pairs_are_produced_from_a_small_directory_with_a_reported_shortfall()
    {
        Write("m.py", "class A:\n    def f(self, a, b=1):\n        x = a + b\n        if x:\n            return x\n        return self.g(x)\n");
        var (functions, fr) = ProbeFunctions.Extract(dir, maxFunctions: 10, seed: 1);
        Assert.Equal(1, fr.Selected);
        Assert.StartsWith("def f(self, a, b=1):\n    x = a + b", functions[0].Code);
        Assert.Equal(4, functions[0].Dedent);

        foreach (var task in ProbePairs.Tasks)
        {
            var (pairs, report) = ProbePairs.Generate(task, functions, seed: 1, perLabel: 5);
            Assert.NotEmpty(pairs);
            foreach (var p in pairs)
            {
                Assert.Equal(p.A.Text, p.Function.Code[p.A.Start..p.A.End]);
                Assert.Equal(p.B.Text, p.Function.Code[p.B.Start..p.B.End]);
                if (task == "ast-distance") { Assert.Equal(int.Parse(p.Label), p.Distance); Assert.True(CodeTokens.IsKeyword(functions[0].Tokens[p.A.Index])); }
            }
            Assert.Equal(pairs.Count, report.Produced.Values.Sum());
            output.WriteLine($"{task}: {string.Join(", ", report.Produced.Select(kv => $"{kv.Key}={kv.Value}"))}; shortfall {string.Join(", ", report.Shortfall.Select(kv => $"{kv.Key}={kv.Value}"))}");
        }
        var (same, _) = ProbePairs.Generate("sibling", functions, seed: 1, perLabel: 5);
        var (again, _) = ProbePairs.Generate("sibling", functions, seed: 1, perLabel: 5);
        Assert.Equal(same.Select(p => (p.A.Index, p.B.Index, p.Label, p.Split)), again.Select(p => (p.A.Index, p.B.Index, p.Label, p.Split)));
    }

    const string stdlib = "/usr/lib/python3.11";

    [DirectoryFact(stdlib)]
    public void Python_standard_library_parses_with_a_reported_error_rate()
    {
        var scan = new SourceScan();
        int files = 0, withErrors = 0; long nodes = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var f in SourceFiles.Read(stdlib, scan, [Language.Python], maxFiles: 300))
        {
            var tree = SyntaxTree.Parse(f.Text, f.Language);
            files++; nodes += tree.Nodes.Count;
            if (tree.HasErrors) withErrors++;
        }
        output.WriteLine($"{files} files, {scan.BytesRead / 1e6:F1} MB, {nodes} nodes, {withErrors} with errors " +
            $"({100.0 * withErrors / Math.Max(1, files):F1}%), {scan.SkippedNotUtf8} not UTF-8, {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(files > 100, $"expected > 100 Python files under {stdlib}, found {files}");
        Assert.True(withErrors <= files / 20, $"expected at most 5% of stdlib files with parse errors, found {withErrors} of {files}");
    }
}
