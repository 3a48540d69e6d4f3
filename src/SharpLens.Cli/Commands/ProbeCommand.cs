// `sharplens probe`: linear and DirectProbe probes of hook_resid_post on code-token pairs, per layer, for one or two models.
using SharpLens.Loading;
using SharpLens.Reports;
using System.CommandLine;
using System.Globalization;
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.Probes;
using SharpLens.Tokenization;

namespace SharpLens.Cli.Commands;

internal static class ProbeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "model folder (config.json, weights and its tokenizer)", Required = true };
        var pairs = new Option<string>("--pairs") { Description = "pairs JSONL from `sharplens data probe-pairs`", Required = true };
        var layers = new Option<string?>("--layers") { Description = "comma-separated layers, e.g. 3,4,6,8,10,11 (default: every layer)" };
        var probe = new Option<string>("--probe") { Description = "linear | directprobe | both", DefaultValueFactory = _ => "both" };
        probe.AcceptOnlyFromAmong("linear", "directprobe", "both");
        var mode = new Option<string>("--mode") { Description = "DirectProbe start: exact (every vector its own cluster, as the paper; up to 8,000 training vectors) | kmeans", DefaultValueFactory = _ => "kmeans" };
        mode.AcceptOnlyFromAmong("exact", "kmeans");
        var perLabel = new Option<int>("--clusters-per-label") { Description = "k-means clusters per label in kmeans mode", DefaultValueFactory = _ => 64 };
        var budget = new Option<int>("--svm-budget") { Description = "most SVM solves per layer for DirectProbe", DefaultValueFactory = _ => 200_000 };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "truncate functions to this many tokens (default: the model's max positions)" };
        var batch = new Option<int>("--batch-size") { Description = "functions per forward pass", DefaultValueFactory = _ => 8 };
        var seed = new Option<long>("--seed") { Description = "seed of the linear probe and k-means", DefaultValueFactory = _ => 0 };
        var compare = new Option<string?>("--compare") { Description = "a second model folder probed on the same pairs (side by side, with the difference)" };
        var outDir = new Option<string>("--out") { Description = "output folder for probe.json, probe.csv and plots (with --shard: the run folder)", Required = true };
        var shard = new Option<string?>("--shard") { Description = "run shard I of N (0-based) of the (model, layer) probe units into the run folder --out; `sharplens merge` writes the report" };
        var cmd = new Command("probe", "Probe code-token pair vectors (AST distance, sibling, data flow) per layer: logistic regression and DirectProbe.");
        foreach (var o in new Option[] { model, pairs, layers, probe, mode, perLabel, budget, maxTokens, batch, seed, compare, outDir, shard })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var shardOf = parse.GetValue(shard) is { } shardText ? Shard.Parse(shardText) : (Shard?)null;
            var pairsPath = parse.GetValue(pairs)!;
            var output = CliCommon.OutputFolder(parse.GetValue(outDir)!, "--out");
            var dirs = new[] { parse.GetValue(model)! }.Concat(parse.GetValue(compare) is string c ? [c] : Array.Empty<string>()).ToList();
            int k = parse.GetValue(perLabel), b = parse.GetValue(batch), sv = parse.GetValue(budget);
            if (k < 1 || b < 1 || sv < 1) throw new UsageException($"--clusters-per-label, --batch-size and --svm-budget must be ≥ 1, found {k}, {b}, {sv}");
            if (parse.GetValue(maxTokens) is < 1) throw new UsageException($"--max-tokens must be ≥ 1, found {parse.GetValue(maxTokens)}");
            var options = new ProbeStudyOptions
            {
                Layers = ParseLayers(parse.GetValue(layers)),
                Probe = parse.GetValue(probe) switch { "linear" => ProbeKind.Linear, "directprobe" => ProbeKind.DirectProbe, _ => ProbeKind.Both },
                Linear = new LinearProbeOptions { Seed = parse.GetValue(seed) },
                Direct = new DirectProbeOptions
                {
                    Mode = parse.GetValue(mode) == "exact" ? DirectProbeMode.Exact : DirectProbeMode.KMeans,
                    ClustersPerLabel = k, MaxSolves = sv, Seed = parse.GetValue(seed),
                },
                MaxTokens = parse.GetValue(maxTokens),
                BatchSize = b,
            };
            // check every input before any work, so a bad one leaves no output behind
            var records = PairsFile.Read(pairsPath);
            foreach (var dir in dirs)
            {
                if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"model folder not found: {dir}");
                _ = Tokenizer.Load(dir);
            }
            Console.Error.WriteLine($"{records.Count} {records[0].Task} pairs ({records.Count(p => p.IsTrain)} train, {records.Count(p => !p.IsTrain)} test) " +
                $"from {records.Select(p => p.FunctionId).Distinct().Count()} functions");
            object settings = new
            {
                layers = options.Layers, probe = parse.GetValue(probe), mode = parse.GetValue(mode), clusters_per_label = k, svm_c = options.Direct.Svm.C,
                svm_max_epochs = options.Direct.Svm.MaxEpochs, svm_budget = sv, linear_steps = options.Linear.Steps, linear_l2 = options.Linear.L2,
                linear_lr = options.Linear.LearningRate, seed = parse.GetValue(seed), max_tokens = options.MaxTokens, batch_size = b,
            };
            if (shardOf is Shard s) return ProbeSharding.RunShard(dirs, pairsPath, records, options, settings, s, output);
            var runs = dirs.Select(d => ProbeStudy.Run(ModelFolders.Default, d, records, options, Console.Error.WriteLine)).ToList();
            var files = CliCommon.WriteFolder(output, tmp => ProbeReport.Write(tmp, pairsPath, runs, settings));
            Console.WriteLine(Table(runs));
            Console.WriteLine($"wrote {Path.Combine(output, Path.GetFileName(files.Json))}, {Path.GetFileName(files.Csv)} and {files.Plots.Count} plot files");
            return 0;
        });
        return cmd;
    }

    internal static int[]? ParseLayers(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        var parts = s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var layers = new List<int>();
        foreach (var p in parts)
            layers.Add(int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l >= 0 ? l
                : throw new UsageException($"--layers expects comma-separated non-negative integers, found '{p}'"));
        return layers.Distinct().Order().ToArray();
    }

    /// <summary>One line per (layer, probe); with two models, both test accuracies and their difference.</summary>
    internal static string Table(IReadOnlyList<ProbeRun> runs)
    {
        static string F(double? v) => v is double x && double.IsFinite(x) ? x.ToString("0.000", CultureInfo.InvariantCulture) : "-";
        var lines = new List<string>();
        if (runs.Count == 2)
        {
            lines.Add($"{"layer",5}  {"probe",-11}  {Trim(runs[0].Model),12}  {Trim(runs[1].Model),12}  {"diff",7}");
            foreach (var c in ProbeStudy.Compare(runs[0], runs[1]))
                lines.Add($"{c.Layer,5}  {c.Probe,-11}  {F(c.A),12}  {F(c.B),12}  {(double.IsFinite(c.Diff) ? c.Diff.ToString("+0.000;-0.000", CultureInfo.InvariantCulture) : "-"),7}");
            lines.Add("");
        }
        lines.Add($"{"model",-14} {"layer",5}  {"probe",-11} {"train",6} {"test",6} {"F1",6} {"clusters",8} {"labels",6} {"min_d",8}");
        foreach (var r in runs.SelectMany(r => r.Rows))
            lines.Add($"{Trim(r.Model),-14} {r.Layer,5}  {r.Probe,-11} {F(r.TrainAccuracy),6} {F(r.TestAccuracy),6} {F(r.MacroF1),6} " +
                $"{r.Clusters?.ToString(CultureInfo.InvariantCulture) ?? "-",8} {r.Labels,6} {(r.MinDistance is double m && double.IsFinite(m) ? m.ToString("0.00", CultureInfo.InvariantCulture) : "-"),8}");
        return string.Join('\n', lines);
    }

    static string Trim(string s) => s.Length <= 14 ? s : s[..13] + "…";
}
