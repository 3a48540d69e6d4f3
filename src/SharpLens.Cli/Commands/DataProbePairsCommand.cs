// `sharplens data probe-pairs`: tokenizer-independent token-pair datasets for the SSM-Interpret probing tasks.
using System.CommandLine;
using SharpLens.Analysis.Parens;
using SharpLens.Code.Datasets;
using SharpLens.Reports;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

internal static class DataProbePairsCommand
{
    public static Command Create()
    {
        var taskOpt = new Option<string>("--task") { Description = "ast-distance | sibling | dataflow.", Required = true };
        taskOpt.AcceptOnlyFromAmong([.. ProbePairs.Tasks]);
        var sourceOpt = new Option<string>("--source") { Description = "Directory of Python files to extract functions from.", Required = true };
        var outOpt = new Option<string>("--out") { Description = "Output JSONL file.", Required = true };
        var seedOpt = new Option<long>("--seed") { Description = "Seed for function selection, sampling and the 80/20 split.", DefaultValueFactory = _ => 42 };
        var maxFunctionsOpt = new Option<int>("--max-functions") { Description = "Functions to draw from the source.", DefaultValueFactory = _ => 3000 };
        var perLabelOpt = new Option<int?>("--per-label") { Description = "Pairs per label (default 1300 for ast-distance, 1500 otherwise)." };
        var maxTokensOpt = new Option<int>("--max-code-tokens") { Description = "Skip functions with more code tokens.", DefaultValueFactory = _ => 256 };
        var allowEmptyOpt = CliCommon.AllowEmptyOption();
        var shardOpt = new Option<string?>("--shard") { Description = "run shard I of N (0-based) of the source files into the run folder --out; `sharplens merge RUN` writes RUN/TASK.jsonl (docs/cluster.md)" };

        var cmd = new Command("probe-pairs", "Code-token pairs for the AST-distance, sibling and data-flow probes (same pairs for every model).");
        foreach (var o in new Option[] { taskOpt, sourceOpt, outOpt, seedOpt, maxFunctionsOpt, perLabelOpt, maxTokensOpt, allowEmptyOpt, shardOpt })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var task = parse.GetValue(taskOpt)!;
            var shard = parse.GetValue(shardOpt) is { } shardText ? Shard.Parse(shardText) : (Shard?)null;
            var output = shard is null ? CliCommon.OutputFile(parse.GetValue(outOpt)!, "--out") : CliCommon.OutputFolder(parse.GetValue(outOpt)!, "--out");
            int maxFunctions = parse.GetValue(maxFunctionsOpt), maxTokens = parse.GetValue(maxTokensOpt);
            CliCommon.AtLeast(maxFunctions, 1, "--max-functions");
            CliCommon.AtLeast(maxTokens, 1, "--max-code-tokens");
            if (parse.GetValue(perLabelOpt) is int pl) CliCommon.AtLeast(pl, 1, "--per-label");
            var seed = parse.GetValue(seedOpt);
            var settings = new DataSharding.PairsSettings(task, seed, maxFunctions, parse.GetValue(perLabelOpt), maxTokens, parse.GetValue(allowEmptyOpt));
            if (shard is Shard s) return DataSharding.RunPairs(settings, parse.GetValue(sourceOpt)!, s, output);
            var (functions, fr) = ProbeFunctions.Extract(parse.GetValue(sourceOpt)!, maxFunctions, seed, maxTokens: maxTokens);
            WritePairs(settings, functions, fr, output);
            return 0;
        });
        return cmd;
    }

    /// <summary>The extraction's counts (stderr), then the task's pairs over <paramref name="functions"/> as JSONL, written atomically.</summary>
    internal static void WritePairs(DataSharding.PairsSettings s, IReadOnlyList<ProbeFunction> functions, FunctionExtractionReport fr, string output)
    {
        Console.Error.WriteLine($"read {fr.Scan.Read} files (skipped {fr.Scan.SkippedNotUtf8} not UTF-8, {fr.Scan.SkippedTooLarge} too large); " +
            $"{fr.Candidates} functions found, {fr.Selected} selected (skipped {fr.SkippedIndentation} indentation, {fr.SkippedParseErrors} parse errors, {fr.SkippedSize} size)");
        if (fr.Selected < s.MaxFunctions)
            Console.Error.WriteLine($"note: only {fr.Selected} of {s.MaxFunctions} requested functions available");
        var (pairs, report) = ProbePairs.Generate(s.Task, functions, s.Seed, s.PerLabel);
        foreach (var (label, n) in report.Produced)
            Console.Error.WriteLine($"label {label}: {n} pairs from {report.Candidates[label]} candidates" +
                (report.Shortfall.TryGetValue(label, out var short_) ? $", SHORT by {short_}" : ""));
        CliCommon.RequireRecords(pairs.Count, $"{s.Task} pair", s.AllowEmpty);
        AtomicFile.Write(output, fs => Jsonl.Write(fs, pairs, ProbePair.WriteJson));
        Console.Error.WriteLine($"wrote {pairs.Count} {s.Task} pairs to {output}");
    }
}
