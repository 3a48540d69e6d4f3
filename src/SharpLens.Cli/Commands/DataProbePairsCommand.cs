// `sharplens data probe-pairs`: tokenizer-independent token-pair datasets for the SSM-Interpret probing tasks.
using System.CommandLine;
using SharpLens.Code.Datasets;
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

        var cmd = new Command("probe-pairs", "Code-token pairs for the AST-distance, sibling and data-flow probes (same pairs for every model).");
        foreach (var o in new Option[] { taskOpt, sourceOpt, outOpt, seedOpt, maxFunctionsOpt, perLabelOpt, maxTokensOpt, allowEmptyOpt })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var task = parse.GetValue(taskOpt)!;
            var output = CliCommon.OutputFile(parse.GetValue(outOpt)!, "--out");
            CliCommon.AtLeast(parse.GetValue(maxFunctionsOpt), 1, "--max-functions");
            CliCommon.AtLeast(parse.GetValue(maxTokensOpt), 1, "--max-code-tokens");
            if (parse.GetValue(perLabelOpt) is int pl) CliCommon.AtLeast(pl, 1, "--per-label");
            var seed = parse.GetValue(seedOpt);
            var (functions, fr) = ProbeFunctions.Extract(parse.GetValue(sourceOpt)!, parse.GetValue(maxFunctionsOpt), seed, maxTokens: parse.GetValue(maxTokensOpt));
            Console.Error.WriteLine($"read {fr.Scan.Read} files (skipped {fr.Scan.SkippedNotUtf8} not UTF-8, {fr.Scan.SkippedTooLarge} too large); " +
                $"{fr.Candidates} functions found, {fr.Selected} selected (skipped {fr.SkippedIndentation} indentation, {fr.SkippedParseErrors} parse errors, {fr.SkippedSize} size)");
            if (fr.Selected < parse.GetValue(maxFunctionsOpt))
                Console.Error.WriteLine($"note: only {fr.Selected} of {parse.GetValue(maxFunctionsOpt)} requested functions available");
            var (pairs, report) = ProbePairs.Generate(task, functions, seed, parse.GetValue(perLabelOpt));
            foreach (var (label, n) in report.Produced)
                Console.Error.WriteLine($"label {label}: {n} pairs from {report.Candidates[label]} candidates" +
                    (report.Shortfall.TryGetValue(label, out var s) ? $", SHORT by {s}" : ""));
            CliCommon.RequireRecords(pairs.Count, $"{task} pair", parse.GetValue(allowEmptyOpt));
            AtomicFile.Write(output, fs => Jsonl.Write(fs, pairs, ProbePair.WriteJson));
            Console.Error.WriteLine($"wrote {pairs.Count} {task} pairs to {output}");
            return 0;
        });
        return cmd;
    }
}
