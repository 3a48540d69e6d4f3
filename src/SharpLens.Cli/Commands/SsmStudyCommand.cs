// `sharplens ssm-study`: SSM-Interpret end to end over a manifest (library: Analysis/SsmInterpret; files: Reports/SsmStudyReport).
using System.CommandLine;
using System.Globalization;
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.Probes;
using SharpLens.Analysis.SsmInterpret;
using SharpLens.Code.Datasets;
using SharpLens.Loading;
using SharpLens.Reports;
using Spectre.Console;

namespace SharpLens.Cli.Commands;

internal static class SsmStudyCommand
{
    public const string DefaultManifest = "models/ssm-interpret/manifest.json";

    public static Command Create()
    {
        var manifest = new Option<string>("--manifest") { Description = "study manifest (folder, role, variant, from per model)", DefaultValueFactory = _ => DefaultManifest };
        var outDir = new Option<string>("--out") { Description = "report folder (report.html, results.json, CSVs; feature-cache/ unless --cache)", Required = true };
        var pairsDir = new Option<string?>("--pairs-dir") { Description = "folder with ast-distance.jsonl, sibling.jsonl, dataflow.jsonl from `sharplens data probe-pairs` (default: pairs/ beside the manifest)" };
        var source = new Option<string?>("--source") { Description = "instead of --pairs-dir: generate the pairs from this folder of Python files (3,000 functions, paper counts, seed --pairs-seed)" };
        var pairsSeed = new Option<long>("--pairs-seed") { Description = "seed of --source pair generation", DefaultValueFactory = _ => 42 };
        var tasks = new Option<string>("--tasks") { Description = "comma-separated probing tasks", DefaultValueFactory = _ => string.Join(",", ProbePairs.Tasks) };
        var probe = new Option<string>("--probe") { Description = "linear | directprobe | both", DefaultValueFactory = _ => "both" };
        probe.AcceptOnlyFromAmong("linear", "directprobe", "both");
        var mode = new Option<string>("--probe-mode") { Description = "DirectProbe start: kmeans (fits the time budget) | exact (every vector its own cluster, as the paper; minutes per layer at 5,200 pairs)", DefaultValueFactory = _ => "kmeans" };
        mode.AcceptOnlyFromAmong("kmeans", "exact");
        var perLabel = new Option<int>("--clusters-per-label") { Description = "k-means clusters per label in kmeans mode", DefaultValueFactory = _ => 64 };
        var budget = new Option<int>("--svm-budget") { Description = "most SVM solves per layer for DirectProbe", DefaultValueFactory = _ => 200_000 };
        var exactLimit = new Option<int>("--exact-limit") { Description = "exact mode refuses tasks with more training pairs than this", DefaultValueFactory = _ => new DirectProbeOptions().ExactLimit };
        var layers = new Option<string?>("--layers") { Description = "0-based layers to probe in every model instead of the paper mapping (3,4,6,8,10,11 of 12 scaled)" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "truncate functions to this many tokens (default: each model's max positions)" };
        var batch = new Option<int>("--batch-size") { Description = "functions per forward pass", DefaultValueFactory = _ => 8 };
        var linearSteps = new Option<int>("--linear-steps") { Description = "full-batch Adam steps of the linear probe", DefaultValueFactory = _ => new LinearProbeOptions().Steps };
        var seed = new Option<long>("--seed") { Description = "seed of the linear probe and k-means", DefaultValueFactory = _ => 0 };
        var kernelLength = new Option<int>("--kernel-length") { Description = "S4D kernel length L for the spectra (the paper: 4096)", DefaultValueFactory = _ => 4096 };
        var cache = new Option<string?>("--cache") { Description = "feature cache folder (default: OUT/feature-cache)" };
        var noCache = new Option<bool>("--no-cache") { Description = "extract features without reading or writing the cache" };
        var shard = new Option<string?>("--shard") { Description = "run shard I of N (0-based) of the (model, task, layer) probe units into the run folder --out (needs --pairs-dir); `sharplens merge` writes the report" };
        var cmd = new Command("ssm-study", "The SSM-Interpret study end to end: probes per layer, S4D kernel spectra and shifts, the short-convolution fix, claims → HTML + JSON + CSV.");
        foreach (var o in new Option[] { manifest, outDir, pairsDir, source, pairsSeed, tasks, probe, mode, perLabel, budget, exactLimit, layers, maxTokens, batch, linearSteps, seed, kernelLength, cache, noCache, shard })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var shardOf = parse.GetValue(shard) is { } shardText ? Shard.Parse(shardText) : (Shard?)null;
            if (shardOf is not null && parse.GetValue(source) is not null)
                throw new UsageException("--shard needs --pairs-dir, found --source: generate the pairs once (`sharplens data probe-pairs`) so that every shard reads the same files");
            int k = parse.GetValue(perLabel), b = parse.GetValue(batch), sv = parse.GetValue(budget), kl = parse.GetValue(kernelLength);
            int ls = parse.GetValue(linearSteps);
            if (k < 1 || b < 1 || sv < 1 || ls < 1)
                throw new UsageException($"--clusters-per-label, --batch-size, --svm-budget and --linear-steps must be ≥ 1, found {k}, {b}, {sv}, {ls}");
            if (kl < 2) throw new UsageException($"--kernel-length must be ≥ 2, found {kl}");
            if (parse.GetValue(maxTokens) is < 1) throw new UsageException($"--max-tokens must be ≥ 1, found {parse.GetValue(maxTokens)}");
            var output = Path.GetFullPath(CliCommon.OutputFolder(parse.GetValue(outDir)!, "--out"));
            var taskList = parse.GetValue(tasks)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
            foreach (var t in taskList.Where(t => !ProbePairs.Tasks.Contains(t)))
                throw new UsageException($"--tasks expects names among {string.Join(", ", ProbePairs.Tasks)}, found '{t}'");
            if (taskList.Count == 0) throw new UsageException("--tasks expects at least one task, found none");
            var options = new SsmStudyOptions
            {
                Probe = new ProbeStudyOptions
                {
                    Layers = ProbeCommand.ParseLayers(parse.GetValue(layers)),
                    Probe = parse.GetValue(probe) switch { "linear" => ProbeKind.Linear, "directprobe" => ProbeKind.DirectProbe, _ => ProbeKind.Both },
                    Linear = new LinearProbeOptions { Seed = parse.GetValue(seed), Steps = ls },
                    Direct = new DirectProbeOptions
                    {
                        Mode = parse.GetValue(mode) == "exact" ? DirectProbeMode.Exact : DirectProbeMode.KMeans,
                        ClustersPerLabel = k, MaxSolves = sv, Seed = parse.GetValue(seed), ExactLimit = parse.GetValue(exactLimit),
                    },
                    MaxTokens = parse.GetValue(maxTokens),
                    BatchSize = b,
                },
                KernelLength = kl,
            };

            // every input is checked before any model runs, so a bad one leaves nothing behind
            var m = StudyManifest.Load(parse.GetValue(manifest)!);
            var generated = new List<(string File, IReadOnlyList<ProbePair> Pairs)>();
            var pairs = parse.GetValue(source) is string src
                ? Generate(src, taskList, parse.GetValue(pairsSeed), generated)
                : ReadPairs(parse.GetValue(pairsDir) ?? Path.Combine(Path.GetDirectoryName(m.Path)!, "pairs"), taskList);
            SsmStudy.Check(m, pairs, options);
            PrintPlan(m, pairs, options);

            object settings = new
            {
                tasks = taskList, probe = parse.GetValue(probe), probe_mode = parse.GetValue(mode), clusters_per_label = k, svm_budget = sv, svm_c = options.Probe.Direct.Svm.C,
                exact_limit = options.Probe.Direct.ExactLimit, layers = options.Probe.Layers, max_tokens = options.Probe.MaxTokens, batch_size = b,
                seed = parse.GetValue(seed), kernel_length = kl, linear_steps = options.Probe.Linear.Steps, linear_l2 = options.Probe.Linear.L2,
                pairs = pairs.Select(p => p.Source).ToList(), mamba_functions = options.MambaFunctions, mamba_max_lag = options.MambaMaxLag,
            };
            var store = parse.GetValue(noCache) ? null : new FeatureStore(parse.GetValue(cache) ?? Path.Combine(output, "feature-cache"));
            if (shardOf is Shard s) return SsmSharding.RunShard(m, pairs, options, settings, store, s, output);
            var result = ProgressBars.Run(progress => SsmStudy.Run(ModelFolders.Default, m, pairs, options, store, progress)) with { Settings = settings };
            CliCommon.WriteFolder(output, tmp =>
            {
                SsmStudyReport.Write(result, tmp);
                foreach (var (file, ps) in generated) Jsonl.Write(Path.Combine(tmp, file), ps, ProbePair.WriteJson);
                return tmp;
            });
            Print(result, output);
            return 0;
        });
        return cmd;
    }

    internal static IReadOnlyList<TaskPairs> ReadPairs(string dir, IReadOnlyList<string> tasks)
    {
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"pairs folder not found: {dir} (expected {string.Join(", ", tasks.Select(t => t + ".jsonl"))} from `sharplens data probe-pairs`, or pass --source)");
        return tasks.Select(t =>
        {
            var file = Path.Combine(dir, t + ".jsonl");
            var records = PairsFile.Read(file);
            if (records[0].Task != t) throw new InvalidDataException($"{file}: expected {t} pairs, found {records[0].Task}");
            return new TaskPairs(t, file, records);
        }).ToList();
    }

    static IReadOnlyList<TaskPairs> Generate(string source, IReadOnlyList<string> tasks, long seed, List<(string, IReadOnlyList<ProbePair>)> generated)
    {
        var (functions, report) = ProbeFunctions.Extract(source, 3000, seed);
        Console.Error.WriteLine($"{report.Selected} functions from {source}");
        return tasks.Select(t =>
        {
            var (pairs, _) = ProbePairs.Generate(t, functions, seed);
            generated.Add(($"pairs-{t}.jsonl", pairs));
            return new TaskPairs(t, $"generated from {source} (seed {seed}), saved as pairs-{t}.jsonl",
                pairs.Select(p => new PairRecord(p.Id, p.Task, p.Label, p.Split == "train", p.Function.Id, p.Function.Code, p.A, p.B)).ToList());
        }).ToList();
    }

    static void PrintPlan(StudyManifest m, IReadOnlyList<TaskPairs> pairs, SsmStudyOptions options)
    {
        foreach (var e in m.Entries)
            Console.WriteLine($"{e.Name,-22} {e.Folder} ({e.Architecture}, {e.NLayers} layers{(e.From is null ? "" : $", from {e.From}")})");
        foreach (var t in pairs) Console.WriteLine($"{t.Task}: {t.Train}/{t.Test} train/test pairs ({t.Source})");
        foreach (var depth in m.Entries.Select(e => e.NLayers).Distinct().Order())
            Console.WriteLine($"layers for {depth}-layer models: " + string.Join(", ", SsmStudy.MapLayers("", depth, options.Probe.Layers)
                .Select(r => r.PaperLayer is int p ? $"paper {p} of 12 → blocks.{r.Layer}" : $"blocks.{r.Layer}")));
    }

    internal static void Print(SsmStudyResult r, string output)
    {
        static string F(double? v) => v is double x && double.IsFinite(x) ? x.ToString("0.000", CultureInfo.InvariantCulture) : "–";
        var probes = new Table().Title("probe test accuracy").AddColumns("model", "task", "probe", "layers", "accuracy per layer");
        foreach (var g in r.Probes.GroupBy(p => (p.Model, p.Task, p.Probe)))
            probes.AddRow(g.Key.Model, g.Key.Task, g.Key.Probe, string.Join(",", g.Select(p => p.Layer)), string.Join(" ", g.Select(p => F(p.TestAccuracy))));
        AnsiConsole.Write(probes);
        if (r.Shifts.Count > 0)
        {
            var shifts = new Table().Title("spectral shift (pretrained → fine-tuned)").AddColumns("role", "variant", "layer", "dir", "class", "Δcentroid", "Δlog10 ratio");
            foreach (var s in r.Shifts)
                shifts.AddRow(s.Role, s.Variant, $"{s.Layer}", s.Direction, CliCommon.Escape(s.ClassBefore == s.ClassAfter ? s.ClassBefore : $"{s.ClassBefore} → {s.ClassAfter}"),
                    s.CentroidChange.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture), s.RatioChange.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture));
            AnsiConsole.Write(shifts);
        }
        var claims = new Table().Title("paper vs our models").AddColumns("claim", "measured", "verdict");
        foreach (var c in r.Claims) claims.AddRow(CliCommon.Escape(c.Topic), CliCommon.Escape(c.ThisModel), CliCommon.Escape(c.Verdict));
        AnsiConsole.Write(claims);
        foreach (var n in r.Notes) AnsiConsole.MarkupLine(CliCommon.Escape("note: " + n));
        AnsiConsole.MarkupLine(CliCommon.Escape($"wrote {output}/report.html, results.json and {SsmStudyReport.Files.Count - 2} CSVs"));
    }
}
