// The CLI restarts itself under Debian's tcmalloc (Allocator): the child really runs under it, signals reach it, exit
// codes come back, and the switch is validated. These tests start the real CLI assembly as a process.
using System.Diagnostics;
using System.Runtime.InteropServices;
using SharpLens.Cli.Commands;
using SharpLens.Tests.Training;

namespace SharpLens.Tests.Cli;

/// <summary>A fact that needs Linux and Debian's libtcmalloc-minimal4 (.ci/run installs it when it can).</summary>
public sealed class TcmallocFactAttribute : FactAttribute
{
    public TcmallocFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || SharpLens.Cli.Allocator.Installed() is null)
            Skip = "needs Linux with Debian's libtcmalloc-minimal4 (apt-get install libtcmalloc-minimal4)";
    }
}

/// <summary>A fact that needs Linux (the allocator switch is read there only).</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute() { if (!OperatingSystem.IsLinux()) Skip = "the allocator switch is read on Linux only"; }
}

public class AllocatorTests
{
    static ProcessStartInfo Cli(IDictionary<string, string?> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(typeof(CliApp).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("LD_PRELOAD");
        psi.Environment.Remove(SharpLens.Cli.Allocator.Switch);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    static (int Code, string Out, string Err) RunToEnd(ProcessStartInfo psi)
    {
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "the CLI did not finish within 2 minutes");
        return (p.ExitCode, output, err.Result);
    }

    [TcmallocFact]
    public void The_cli_runs_under_tcmalloc_unless_switched_off()
    {
        var on = RunToEnd(Cli(new Dictionary<string, string?>(), "info"));
        Assert.Equal(0, on.Code);
        Assert.Contains("allocator   tcmalloc (", on.Out);
        var off = RunToEnd(Cli(new Dictionary<string, string?> { [SharpLens.Cli.Allocator.Switch] = "system" }, "info"));
        Assert.Equal(0, off.Code);
        Assert.Contains("allocator   system malloc (SHARPLENS_ALLOCATOR=system)", off.Out);
        var bad = RunToEnd(Cli(new Dictionary<string, string?>(), "inspect", "/nonexistent-folder"));   // the child's exit code comes back
        Assert.Equal(2, bad.Code);
        Assert.StartsWith("error: model folder not found", bad.Err.Trim());
    }

    [LinuxFact]
    public void A_bad_allocator_switch_is_one_error_line()
    {
        var r = RunToEnd(Cli(new Dictionary<string, string?> { [SharpLens.Cli.Allocator.Switch] = "jemalloc" }, "info"));
        Assert.Equal(2, r.Code);
        Assert.Equal("error: SHARPLENS_ALLOCATOR must be tcmalloc or system, found 'jemalloc'", r.Err.Trim());
        Assert.Equal("", r.Out);
    }

    [TcmallocFact]
    public void Sigterm_to_the_cli_reaches_the_training_child_which_checkpoints_and_exits_130()
    {
        using var run = new TinyRun(files: 4);
        var outDir = run.Out("sigterm");
        using var p = Process.Start(Cli(new Dictionary<string, string?>(), "train", "--corpus", run.Corpus, "--tokenizer", run.TokenizerDir,
            "--out", outDir, "--layers", "1", "--d-model", "32", "--heads", "2", "--seq-len", "32", "--batch", "2", "--steps", "1000000",
            "--threads", "1", "--checkpoint-every", "0", "--eval-parens", "0"))!;
        var err = p.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (p.StandardOutput.ReadLine() is string line)
        {
            lines.Add(line);
            if (line.StartsWith("step ", StringComparison.Ordinal)) break;          // training has started
        }
        if (lines.Count == 0 || !lines[^1].StartsWith("step ", StringComparison.Ordinal))
            Assert.Fail("no training step was reported: " + string.Join(" | ", lines) + err.Result);   // stdout closed: the child has exited
        Assert.Contains(lines, l => l.Contains("allocator tcmalloc", StringComparison.Ordinal));
        Assert.Equal(0, Kill(p.Id, 15));                                            // SIGTERM to the parent only
        lines.AddRange(p.StandardOutput.ReadToEnd().Split('\n'));
        Assert.True(p.WaitForExit(120_000), "the CLI did not stop within 2 minutes of SIGTERM");
        Assert.Equal(130, p.ExitCode);
        Assert.Contains(lines, l => l.StartsWith("stopped at step", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoint", "checkpoint.safetensors")), "the child wrote no checkpoint");
    }

    [DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);
}
