// `sharplens slurm parens|probe|ssm-study|parens-dynamics|data-parens|data-probe-pairs …`: writes the sbatch scripts of a sharded run, submits them (--submit), follows them (--wait).
using System.CommandLine;
using System.Diagnostics;
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.Probes;
using SharpLens.Analysis.SsmInterpret;
using SharpLens.Code.Datasets;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

internal static class SlurmCommand
{
    public static Command Create() =>
        new("slurm", "Run a study or dataset build on a Slurm cluster as job arrays over its shards, then merge (see docs/cluster.md).")
        {
            Parens(),
            Passthrough(new("probe", ["probe"], ProbeShards.Stage, "(model, layer) probes", ProbeUnits, "--model M --pairs P.jsonl")),
            Passthrough(new("ssm-study", ["ssm-study"], SsmShards.Stage, "(model, task, layer) probes", SsmUnits, "--manifest M --pairs-dir P")),
            Passthrough(new("parens-dynamics", ["parens-dynamics"], DynamicsShards.Stage, "checkpoints", DynamicsUnits, "--checkpoints RUN/snapshots")),
            Passthrough(new("data-parens", ["data", "parens"], DataShards.Stage, "source files", MinedUnits, "--variant mined --source DIR")),
            Passthrough(new("data-probe-pairs", ["data", "probe-pairs"], DataShards.Stage, "source files", PairsUnits, "--task sibling --source DIR")),
        };

    /// <summary>
    /// A study (or dataset build) run as one shard array and a merge: its `slurm` name, the sharplens command words its
    /// shards run, the shard folders' stage, what its units are, how many units its options give, an example of its options.
    /// </summary>
    sealed record ShardedStudy(string Name, string[] Words, string Stage, string Units, Func<ParseResult, int> Count, string Example);

    /// <summary>The options of every `slurm` subcommand and what they resolve to.</summary>
    sealed class SlurmOptions
    {
        public Option<int> Array { get; } = new("--array") { Description = "shards: the job arrays' size (at most the study's work units)", Required = true };
        public Option<string?> Partition { get; } = new("--partition") { Description = "Slurm partition (default: the cluster's)" };
        public Option<int> Cpus { get; } = new("--cpus") { Description = "CPUs per task", DefaultValueFactory = _ => 1 };
        public Option<string?> Mem { get; } = new("--mem") { Description = "memory per task, e.g. 8G (default: the cluster's)" };
        public Option<int?> Gpus { get; } = new("--gpus") { Description = "GPUs per shard task (needs a CUDA build of TorchSharp to be used)" };
        public Option<string?> Time { get; } = new("--time") { Description = "time limit per task, e.g. 01:00:00" };
        public Option<string?> Exe { get; } = new("--sharplens") { Description = "how the cluster's nodes run sharplens, e.g. '/opt/sharplens/sharplens' (default: this executable)" };
        public Option<bool> Submit { get; } = new("--submit") { Description = "submit the missing steps with sbatch (finished shards are not resubmitted)" };
        public Option<bool> Wait { get; } = new("--wait") { Description = "with --submit: follow the jobs and return the merge's exit code" };
        public Option<int> Poll { get; } = new("--poll") { Description = "with --wait: seconds between looks at the queue", DefaultValueFactory = _ => 5 };
        public IEnumerable<Option> All => [Array, Partition, Cpus, Mem, Gpus, Time, Exe, Submit, Wait, Poll];

        public Settings Read(ParseResult r)
        {
            int shards = CliCommon.InRange(r.GetValue(Array), 1, 100_000, "--array");
            var res = new SlurmResources(r.GetValue(Partition), CliCommon.InRange(r.GetValue(Cpus), 1, 4096, "--cpus"), r.GetValue(Mem),
                r.GetValue(Gpus) is int g ? CliCommon.InRange(g, 0, 64, "--gpus") : null, r.GetValue(Time));
            bool submit = r.GetValue(Submit), wait = r.GetValue(Wait);
            int poll = CliCommon.InRange(r.GetValue(Poll), 1, 3600, "--poll");
            if (wait && !submit) throw new UsageException("--wait follows submitted jobs; it needs --submit");
            if (submit)
                foreach (var tool in new[] { "sbatch", "squeue" })
                    if (OnPath(tool) is null)
                        throw new UsageException($"--submit needs Slurm's {tool} on PATH, found none (install Slurm, e.g. Debian's slurm-wlm, or run without --submit and submit RUN/slurm/{SlurmPipeline.Submit} on the cluster)");
            var command = r.GetValue(Exe) is { } e ? e.Split(' ', StringSplitOptions.RemoveEmptyEntries) : ThisExecutable();
            return new Settings(shards, res, submit, wait, TimeSpan.FromSeconds(poll), command);
        }
    }

    sealed record Settings(int Shards, SlurmResources Resources, bool Submit, bool Wait, TimeSpan Poll, string[] Command);

    static Command Parens()
    {
        var study = new ParensCommand.StudyOptions();
        var slurm = new SlurmOptions();
        var cmd = new Command("parens", "The parens study as Slurm jobs: measure shards (array) → means → ablate shards (array) → merge, scripts in RUN/slurm/ (--out RUN).");
        foreach (var o in study.All.Concat(slurm.All)) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var inputs = study.Read(r);
            var s = slurm.Read(r);
            var runDir = Path.GetFullPath(CliCommon.OutputFolder(inputs.Out, "--out"));
            using var run = ParensShards.Open(inputs, s.Shards, "--array");
            ShardedRun.Claim(runDir, run.Manifest, m => m.Differences(run.Manifest));
            var pipeline = SlurmPipeline.Parens;
            Write(pipeline, runDir, s, SlurmScripts.StudyArgs(inputs));
            if (!s.Submit) return 0;
            var measure = ParensRun.Status(runDir, run.Manifest, ParensRun.Measure);
            var ablate = ParensRun.Status(runDir, run.Manifest, ParensRun.Ablate);
            var foreign = measure.Mismatched.Concat(ablate.Mismatched).ToList();
            if (foreign.Count > 0) throw new InvalidDataException($"{runDir}: shards of another run: {string.Join(" | ", foreign)}; expected one run's shards (use a new --out folder)");
            bool meansDone = measure.Missing.Count == 0 && File.Exists(Path.Combine(ParensRun.MeansDir(runDir), "manifest.json"));
            var jobs = Submit(runDir, pipeline, s, new Dictionary<string, IReadOnlyList<int>> { ["measure"] = measure.Missing, ["ablate"] = ablate.Missing },
                new Dictionary<string, bool> { ["means"] = meansDone });
            return s.Wait ? Wait(runDir, pipeline, s, jobs) : 0;
        });
        return cmd;
    }

    /// <summary>`slurm probe|ssm-study|parens-dynamics|data-parens|data-probe-pairs … -- OPTIONS`: the command's own options, checked by its parser, go to every shard as they are.</summary>
    static Command Passthrough(ShardedStudy study)
    {
        var slurm = new SlurmOptions();
        var command = string.Join(" ", study.Words);
        var output = new Option<string>("--out") { Description = "the run folder (shards, merged report or file, slurm/)", Required = true };
        var args = new Argument<string[]>("study-options") { Description = $"the options of `sharplens {command}` (after --), without --out and --shard", Arity = ArgumentArity.ZeroOrMore };
        var cmd = new Command(study.Name, $"`{command}` as Slurm jobs: its shards (array) → merge, scripts in RUN/slurm/ (--out RUN). Example: " +
            $"sharplens slurm {study.Name} --out RUN --array 8 -- {study.Example}") { output, args };
        foreach (var o in slurm.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var studyArgs = r.GetValue(args) ?? [];
            if (studyArgs.FirstOrDefault(a => a is "--out" or "--shard" or "--stage") is { } taken)
                throw new UsageException($"{taken} is set by `slurm {study.Name}` (--out RUN before --, --shard per array task); found it among the {command} options");
            var s = slurm.Read(r);
            var runDir = Path.GetFullPath(CliCommon.OutputFolder(r.GetValue(output)!, "--out"));
            var parsed = CliApp.Build().Parse([.. study.Words, .. studyArgs, "--out", runDir, "--shard", $"0/{s.Shards}"]);
            if (parsed.Errors.Count > 0) throw new UsageException($"{command} options: {CliApp.OneLine(string.Join("; ", parsed.Errors.Select(e => e.Message.TrimEnd('.'))))}");
            int count = study.Count(parsed);
            if (s.Shards > count)
                throw new UsageException($"--array: {s.Shards} shards are more than the work units: expected at most {count} {study.Units}");
            var pipeline = SlurmPipeline.Sharded(study.Name, command, study.Stage, study.Units);
            Write(pipeline, runDir, s, studyArgs);
            if (!s.Submit) return 0;
            var missing = Enumerable.Range(0, s.Shards).Where(i => !File.Exists(Path.Combine(ShardedRun.ShardDir(runDir, study.Stage, new Shard(i, s.Shards)), "manifest.json"))).ToList();
            var jobs = Submit(runDir, pipeline, s, new Dictionary<string, IReadOnlyList<int>> { [study.Stage] = missing }, new Dictionary<string, bool>());
            return s.Wait ? Wait(runDir, pipeline, s, jobs) : 0;
        });
        return cmd;
    }

    /// <summary>Checkpoints of `parens-dynamics` options (found and checked to be one run as the command does).</summary>
    static int DynamicsUnits(ParseResult parsed) => CheckpointSeries.Discover(parsed.GetValue<string[]>("--checkpoints") ?? []).Count;

    /// <summary>Source files of `data parens` options (--variant mined and --source required, as the sharded command requires them).</summary>
    static int MinedUnits(ParseResult parsed)
    {
        if (parsed.GetValue<string>("--variant") is var v && v != "mined")
            throw new UsageException($"--shard needs --variant mined (its source files are the work units), found --variant {v}");
        var source = parsed.GetValue<string?>("--source") ?? throw new UsageException("--variant mined expects --source DIR, found none");
        var lang = parsed.GetValue<string>("--lang")!;
        return SourcePlan.Of(source, lang == "all" ? [] : [SharpLens.Code.Language.FromName(lang)], parsed.GetValue<int>("--max-files")).Files.Count;
    }

    /// <summary>Python files of `data probe-pairs` options.</summary>
    static int PairsUnits(ParseResult parsed) => SourcePlan.Of(parsed.GetValue<string>("--source")!, [SharpLens.Code.Language.Python]).Files.Count;

    /// <summary>(model, layer) units of `probe` options: the model and --compare, each over --layers or all its layers.</summary>
    static int ProbeUnits(ParseResult parsed)
    {
        var layers = ProbeCommand.ParseLayers(parsed.GetValue<string?>("--layers"));
        int count = 0;
        foreach (var dir in new[] { parsed.GetValue<string>("--model")!, parsed.GetValue<string?>("--compare") }.OfType<string>())
        {
            int nl;
            using (var m = ModelLoader.Load(dir)) nl = m.Info.NLayers;
            if ((layers ?? []).Where(l => l >= nl).ToList() is { Count: > 0 } bad) throw new ArgumentException($"{dir}: expected layers in 0..{nl - 1}, found {string.Join(",", bad)}");
            count += layers?.Length ?? nl;
        }
        return count;
    }

    /// <summary>(model, task, layer) units of `ssm-study` options (the manifest and pairs read and checked as the study does).</summary>
    static int SsmUnits(ParseResult parsed)
    {
        if (parsed.GetValue<string?>("--source") is not null)
            throw new UsageException("--shard needs --pairs-dir, found --source: generate the pairs once (`sharplens data probe-pairs`) so that every shard reads the same files");
        var m = StudyManifest.Load(parsed.GetValue<string>("--manifest")!);
        var tasks = parsed.GetValue<string>("--tasks")!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
        var pairs = SsmStudyCommand.ReadPairs(parsed.GetValue<string?>("--pairs-dir") ?? Path.Combine(Path.GetDirectoryName(m.Path)!, "pairs"), tasks);
        var options = new SsmStudyOptions { Probe = new ProbeStudyOptions { Layers = ProbeCommand.ParseLayers(parsed.GetValue<string?>("--layers")) } };
        return SsmStudy.Units(m, pairs, options).Count;
    }

    static void Write(SlurmPipeline pipeline, string runDir, Settings s, IReadOnlyList<string> studyArgs)
    {
        var slurmDir = Path.Combine(runDir, "slurm");
        var submit = Path.Combine(slurmDir, SlurmPipeline.Submit);
        AtomicFile.WriteText(Path.Combine(slurmDir, pipeline.BatchFile),
            SlurmScripts.BatchScript(pipeline, runDir, s.Shards, s.Command, studyArgs, s.Resources, Directory.GetCurrentDirectory()));
        AtomicFile.WriteText(submit, SlurmScripts.SubmitScript(pipeline, s.Shards, s.Resources));
        File.SetUnixFileMode(submit, (UnixFileMode)Convert.ToInt32("755", 8));
        Console.WriteLine($"wrote {Path.Combine(slurmDir, pipeline.BatchFile)} and {SlurmPipeline.Submit} ({s.Shards} shards)");
    }

    static string? OnPath(string tool) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    /// <summary>This process's command: the apphost, or dotnet + the CLI's assembly.</summary>
    static string[] ThisExecutable()
    {
        var process = System.Environment.ProcessPath ?? "sharplens";
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, typeof(SlurmCommand).Assembly.Location] : [process];
    }

    /// <summary>Submits the steps not finished (arrays over the <paramref name="missing"/> shards only) via submit.sh; returns (step, job id).</summary>
    static IReadOnlyList<(string Step, string Id)> Submit(string runDir, SlurmPipeline pipeline, Settings s,
        IReadOnlyDictionary<string, IReadOnlyList<int>> missing, IReadOnlyDictionary<string, bool> done)
    {
        var rc = Path.Combine(runDir, "slurm", "merge.rc");
        if (File.Exists(rc)) File.Delete(rc);
        Console.WriteLine("submitting: " + string.Join(", ", pipeline.Steps.Select(st =>
            st.Array ? $"{st.Name} shards {SlurmScripts.Describe(missing[st.Name], s.Shards)}" : st.Name == "merge" || !done[st.Name] ? st.Name : $"{st.Name} done")));
        var (code, stdout, stderr) = Exec("bash", [Path.Combine(runDir, "slurm", SlurmPipeline.Submit)], SlurmScripts.Environment(missing, done));
        if (code != 0) throw new InvalidOperationException($"{SlurmPipeline.Submit} failed (exit {code}): {CliApp.OneLine(stderr)}");
        var jobs = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ')).Where(f => f.Length == 2).Select(f => (f[0], f[1])).ToList();
        foreach (var (step, id) in jobs) Console.WriteLine($"submitted {step}: job {id}");
        return jobs;
    }

    /// <summary>Follows the jobs until none is queued, printing progress on change; returns the merge's exit code (1 when it never ran).</summary>
    static int Wait(string runDir, SlurmPipeline pipeline, Settings s, IReadOnlyList<(string Step, string Id)> jobs)
    {
        int Done(string stage) => Enumerable.Range(0, s.Shards).Count(i => File.Exists(Path.Combine(ShardedRun.ShardDir(runDir, stage, new Shard(i, s.Shards)), "manifest.json")));
        string? last = null;
        var ids = string.Join(",", jobs.Select(j => j.Id));
        while (true)
        {
            var (code, stdout, _) = Exec("squeue", ["-h", "-o", "%i %T", "-j", ids], new Dictionary<string, string>());
            var queued = code == 0 ? stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            var steps = pipeline.Steps.Where(st => st.Name != "merge").Select(st => st.Array ? $"{st.Name} {Done(st.Name)}/{s.Shards}"
                : $"{st.Name} {(File.Exists(Path.Combine(runDir, st.Name, "manifest.json")) ? "done" : "–")}");
            var states = queued.Select(l => l.Split(' ').Last()).GroupBy(x => x).Select(g => $"{g.Count()} {g.Key.ToLowerInvariant()}");
            var line = $"{string.Join(" · ", steps)} · queue: {(queued.Length == 0 ? "empty" : string.Join(", ", states))}";
            if (line != last) { Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}"); last = line; }
            if (queued.Length == 0) break;
            Thread.Sleep(s.Poll);
        }
        var rc = Path.Combine(runDir, "slurm", "merge.rc");
        if (File.Exists(rc) && int.TryParse(File.ReadAllText(rc).Trim(), out var mergeCode))
        {
            Console.WriteLine(mergeCode == 0 ? $"merged into {runDir}" : $"merge exited with {mergeCode}; its log is in {Path.Combine(runDir, "slurm", "logs")}");
            return mergeCode;
        }
        var missing = pipeline.Steps.Where(st => st.Array).Select(st => $"{st.Name} {s.Shards - Done(st.Name)} of {s.Shards}");
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
