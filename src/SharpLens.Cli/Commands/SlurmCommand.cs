// `sharplens slurm parens …`: writes the sbatch scripts of a sharded run, submits them (--submit) and follows them (--wait).
using System.CommandLine;
using System.Diagnostics;
using SharpLens.Reports;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

internal static class SlurmCommand
{
    public static Command Create()
    {
        var study = new ParensCommand.StudyOptions();
        var array = new Option<int>("--array") { Description = "shards: the job arrays' size (at most the study's work units)", Required = true };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition (default: the cluster's)" };
        var cpus = new Option<int>("--cpus") { Description = "CPUs per task", DefaultValueFactory = _ => 1 };
        var mem = new Option<string?>("--mem") { Description = "memory per task, e.g. 8G (default: the cluster's)" };
        var gpus = new Option<int?>("--gpus") { Description = "GPUs per shard task (needs a CUDA build of TorchSharp to be used)" };
        var time = new Option<string?>("--time") { Description = "time limit per task, e.g. 01:00:00" };
        var exe = new Option<string?>("--sharplens") { Description = "how the cluster's nodes run sharplens, e.g. '/opt/sharplens/sharplens' (default: this executable)" };
        var submit = new Option<bool>("--submit") { Description = "submit the missing steps with sbatch (finished shards are not resubmitted)" };
        var wait = new Option<bool>("--wait") { Description = "with --submit: follow the jobs and return the merge's exit code" };
        var poll = new Option<int>("--poll") { Description = "with --wait: seconds between looks at the queue", DefaultValueFactory = _ => 5 };
        var parens = new Command("parens", "The parens study as Slurm job arrays: measure shards → means → ablate shards → merge, written to RUN/slurm/ (--out RUN).");
        foreach (var o in study.All) parens.Options.Add(o);
        foreach (var o in new Option[] { array, partition, cpus, mem, gpus, time, exe, submit, wait, poll }) parens.Options.Add(o);
        parens.SetAction(r =>
        {
            var inputs = study.Read(r);
            int shards = CliCommon.InRange(r.GetValue(array), 1, 100_000, "--array");
            var res = new SlurmResources(r.GetValue(partition), CliCommon.InRange(r.GetValue(cpus), 1, 4096, "--cpus"), r.GetValue(mem),
                r.GetValue(gpus) is int g ? CliCommon.InRange(g, 0, 64, "--gpus") : null, r.GetValue(time));
            bool doSubmit = r.GetValue(submit), doWait = r.GetValue(wait);
            int pollSeconds = CliCommon.InRange(r.GetValue(poll), 1, 3600, "--poll");
            if (doWait && !doSubmit) throw new UsageException("--wait follows submitted jobs; it needs --submit");
            if (doSubmit)
                foreach (var tool in new[] { "sbatch", "squeue" })
                    if (OnPath(tool) is null)
                        throw new UsageException($"--submit needs Slurm's {tool} on PATH, found none (install Slurm, e.g. Debian's slurm-wlm, or run without --submit and submit RUN/slurm/{SlurmScripts.Submit} on the cluster)");
            var runDir = Path.GetFullPath(CliCommon.OutputFolder(inputs.Out, "--out"));
            var command = r.GetValue(exe) is { } e ? e.Split(' ', StringSplitOptions.RemoveEmptyEntries) : ThisExecutable();
            using var run = ParensShards.Open(inputs, shards, "--array");

            ShardedRun.Claim(runDir, run.Manifest, m => m.Differences(run.Manifest));
            var slurmDir = Path.Combine(runDir, "slurm");
            AtomicFile.WriteText(Path.Combine(slurmDir, SlurmScripts.Batch), SlurmScripts.BatchScript(runDir, shards, command, SlurmScripts.StudyArgs(inputs), res));
            AtomicFile.WriteText(Path.Combine(slurmDir, SlurmScripts.Submit), SlurmScripts.SubmitScript(shards, res));
            File.SetUnixFileMode(Path.Combine(slurmDir, SlurmScripts.Submit), (UnixFileMode)Convert.ToInt32("755", 8));
            Console.WriteLine($"wrote {Path.Combine(slurmDir, SlurmScripts.Batch)} and {SlurmScripts.Submit} ({shards} shards)");
            if (!doSubmit) return 0;
            var jobs = Submit(runDir, run.Manifest);
            return doWait ? Wait(runDir, run.Manifest, jobs, TimeSpan.FromSeconds(pollSeconds)) : 0;
        });
        return new Command("slurm", "Run a study on a Slurm cluster as job arrays over its shards (see docs/cluster.md).") { parens };
    }

    static string? OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    /// <summary>This process's command: the apphost, or dotnet + the CLI's assembly.</summary>
    static string[] ThisExecutable()
    {
        var process = Environment.ProcessPath ?? "sharplens";
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, typeof(SlurmCommand).Assembly.Location] : [process];
    }

    /// <summary>Submits the steps that are not finished (arrays over the missing shards only) via submit.sh; returns (step, job id).</summary>
    static IReadOnlyList<(string Step, string Id)> Submit(string runDir, ParensRunManifest manifest)
    {
        var measure = ParensRun.Status(runDir, manifest, ParensRun.Measure);
        var ablate = ParensRun.Status(runDir, manifest, ParensRun.Ablate);
        var foreign = measure.Mismatched.Concat(ablate.Mismatched).ToList();
        if (foreign.Count > 0) throw new InvalidDataException($"{runDir}: shards of another run: {string.Join(" | ", foreign)}; expected one run's shards (use a new --out folder)");
        bool meansDone = measure.Missing.Count == 0 && File.Exists(Path.Combine(ParensRun.MeansDir(runDir), "manifest.json"));
        var rc = Path.Combine(runDir, "slurm", "merge.rc");
        if (File.Exists(rc)) File.Delete(rc);
        var env = new Dictionary<string, string>
        {
            ["MEASURE_ARRAY"] = SlurmScripts.ArraySpec(measure.Missing), ["RUN_MEANS"] = meansDone ? "0" : "1", ["ABLATE_ARRAY"] = SlurmScripts.ArraySpec(ablate.Missing),
        };
        Console.WriteLine($"submitting: measure shards {SlurmScripts.Describe(measure.Missing, manifest.Shards)}, means {(meansDone ? "done" : "yes")}, " +
            $"ablate shards {SlurmScripts.Describe(ablate.Missing, manifest.Shards)}, merge");
        var (code, stdout, stderr) = Exec("bash", [Path.Combine(runDir, "slurm", SlurmScripts.Submit)], env);
        if (code != 0) throw new InvalidOperationException($"{SlurmScripts.Submit} failed (exit {code}): {CliApp.OneLine(stderr)}");
        var jobs = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ')).Where(f => f.Length == 2).Select(f => (f[0], f[1])).ToList();
        foreach (var (step, id) in jobs) Console.WriteLine($"submitted {step}: job {id}");
        return jobs;
    }

    /// <summary>Follows the jobs until none is queued, printing progress on change; returns the merge's exit code (1 when it never ran).</summary>
    static int Wait(string runDir, ParensRunManifest manifest, IReadOnlyList<(string Step, string Id)> jobs, TimeSpan poll)
    {
        string? last = null;
        var ids = string.Join(",", jobs.Select(j => j.Id));
        while (true)
        {
            var (code, stdout, _) = Exec("squeue", ["-h", "-o", "%i %T", "-j", ids], new Dictionary<string, string>());
            var queued = code == 0 ? stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            int measure = manifest.Shards - ParensRun.Status(runDir, manifest, ParensRun.Measure).Missing.Count;
            int ablate = manifest.Shards - ParensRun.Status(runDir, manifest, ParensRun.Ablate).Missing.Count;
            bool means = File.Exists(Path.Combine(ParensRun.MeansDir(runDir), "manifest.json"));
            var states = queued.Select(l => l.Split(' ').Last()).GroupBy(s => s).Select(g => $"{g.Count()} {g.Key.ToLowerInvariant()}");
            var line = $"measure {measure}/{manifest.Shards} · means {(means ? "done" : "–")} · ablate {ablate}/{manifest.Shards} · queue: {(queued.Length == 0 ? "empty" : string.Join(", ", states))}";
            if (line != last) { Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}"); last = line; }
            if (queued.Length == 0) break;
            Thread.Sleep(poll);
        }
        var rc = Path.Combine(runDir, "slurm", "merge.rc");
        if (File.Exists(rc) && int.TryParse(File.ReadAllText(rc).Trim(), out var mergeCode))
        {
            Console.WriteLine(mergeCode == 0 ? $"merged: {Path.Combine(runDir, "report.html")}" : $"merge exited with {mergeCode}; its log is in {Path.Combine(runDir, "slurm", "logs")}");
            return mergeCode;
        }
        var missing = new[] { ParensRun.Measure, ParensRun.Ablate }.Select(s => $"{s} {SlurmScripts.Describe(ParensRun.Status(runDir, manifest, s).Missing, manifest.Shards)}");
        Console.Error.WriteLine($"the merge did not run (a step before it failed or was cancelled; logs in {Path.Combine(runDir, "slurm", "logs")}); " +
            $"missing shards: {string.Join("; ", missing)}. Run the same command again: it resubmits only what is missing.");
        return 1;
    }

    static (int Code, string Stdout, string Stderr) Exec(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }
}
