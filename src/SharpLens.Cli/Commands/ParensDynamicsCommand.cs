// `sharplens parens-dynamics`: the closing-parenthesis study on every saved checkpoint of one run (library: ParensDynamics; files: Reports/ParensDynamicsReport).
using System.CommandLine;
using System.Globalization;
using SharpLens.Analysis.Parens;
using SharpLens.Code.Datasets;
using SharpLens.Loading;
using SharpLens.Reports;
using Spectre.Console;

namespace SharpLens.Cli.Commands;

internal static class ParensDynamicsCommand
{
    public static Command Create()
    {
        var checkpoints = new Option<string[]>("--checkpoints")
        {
            Description = "checkpoint folders named step_N (as `train --snapshot-every` writes OUT/snapshots/step_NNNNNN), or folders holding them",
            // zero values parse, so an empty list reaches the one error the library gives for it (instead of swallowing the next option)
            Required = true, AllowMultipleArgumentsPerToken = true, Arity = ArgumentArity.ZeroOrMore,
        };
        var outDir = new Option<string>("--out") { Description = "report folder (report.html, results.json, CSVs)", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer folder when the checkpoints hold none (default: the first checkpoint)" };
        var depths = new Option<string>("--depths") { Description = "missing closing parens, e.g. 1-4 or 1,3", DefaultValueFactory = _ => "1-4" };
        var n = new Option<int>("--n") { Description = "prompts per depth (the same prompts at every step)", DefaultValueFactory = _ => 100 };
        var dataset = new Option<string>("--dataset") { Description = "template | mined | FILE.jsonl (from `sharplens data parens`)", DefaultValueFactory = _ => "template" };
        var source = new Option<string?>("--source") { Description = "--dataset mined: folder of source files" };
        var seed = new Option<long>("--seed") { Description = "dataset seed", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { Description = "prompts per forward pass (caches keep the last position only)", DefaultValueFactory = _ => 64 };
        var topK = new Option<int>("--top-k") { Description = "size of the top counting-head set compared across steps", DefaultValueFactory = _ => 5 };
        var dtype = CliCommon.DTypeOption();
        var cmd = new Command("parens-dynamics", "The closing-parenthesis study across training: accuracy, logit lens, attention vs MLP attribution and counting heads per checkpoint → one HTML section + JSON/CSV.")
            { checkpoints, outDir, tokenizer, depths, n, dataset, source, seed, batch, topK, dtype };
        cmd.SetAction(r =>
        {
            var options = new ParensDynamicsOptions
            {
                Study = new ParensStudyOptions
                {
                    Depths = ParensCommand.Parse(() => ParensDataset.ParseDepths(r.GetValue(depths)!)), N = CliCommon.InRange(r.GetValue(n), 1, SplitSizes.MaxTotal, "--n"),
                    Dataset = r.GetValue(dataset)!, Source = r.GetValue(source), Seed = r.GetValue(seed), Batch = CliCommon.InRange(r.GetValue(batch), 1, 4096, "--batch"),
                },
                TopK = CliCommon.InRange(r.GetValue(topK), 1, 4096, "--top-k"),
            };
            var load = new LoadOptions { DType = CliCommon.ParseDType(r.GetValue(dtype)!) };
            var output = Path.GetFullPath(CliCommon.OutputFolder(r.GetValue(outDir)!, "--out"));
            var series = CheckpointSeries.Discover(r.GetValue(checkpoints) ?? []);
            var tok = ParensCommand.LoadTokenizer(r.GetValue(tokenizer) ?? series[0].Directory);
            Console.WriteLine($"{series.Count} checkpoints: steps {string.Join(", ", series.Select(c => c.Step))}");

            var result = ParensCommand.RunWithProgress(progress => ParensDynamics.Run(series, tok, options, load, progress));
            CliCommon.WriteFolder(output, tmp => { ParensDynamicsReport.Write(result, tmp); return tmp; });
            Print(result, output);
            return 0;
        });
        return cmd;
    }

    static string N(double v, string f = "0.##") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);

    static void Print(ParensDynamicsResult r, string output)
    {
        var depths = r.Info.Depths.OrderBy(d => d).ToList();
        string per = $"d{string.Join("/", depths)}";
        var table = new Table().Title("per checkpoint (template prompts; attribution over all depths)")
            .AddColumns("step", $"accuracy {per}", $"first top-1 layer {per}", "attention", "MLP", "J(top heads, final)", "seconds");
        foreach (var s in r.Info.Steps)
        {
            var acc = depths.Select(d => N(r.Accuracy.FirstOrDefault(a => a.Step == s.Step && a.Variant != "closed" && a.Depth == d)?.Accuracy ?? double.NaN));
            var lens = depths.Select(d => r.FirstTop1.FirstOrDefault(f => f.Step == s.Step && f.Depth == d)?.FirstLayer is int l ? $"{l}" : "–");
            var dla = r.Attribution.FirstOrDefault(a => a.Step == s.Step && a.Depth == 0);
            table.AddRow($"{s.Step}", string.Join(" / ", acc), string.Join(" / ", lens), N(dla?.Attn ?? double.NaN), N(dla?.Mlp ?? double.NaN),
                N(r.Persistence.FirstOrDefault(x => x.Step == s.Step)?.JaccardFinal ?? double.NaN), N(s.Seconds, "0.#"));
        }
        AnsiConsole.Write(table);
        foreach (var s in r.Info.Steps)
            AnsiConsole.MarkupLine(CliCommon.Escape($"step {s.Step} top {r.Info.TopK} counting heads: " +
                string.Join(", ", r.Heads.Where(h => h.Step == s.Step && h.Top).Select(h => $"L{h.Layer}H{h.Head} {N(h.Score)}"))));
        foreach (var note in r.Notes) AnsiConsole.MarkupLine(CliCommon.Escape("note: " + note));
        AnsiConsole.MarkupLine(CliCommon.Escape($"wrote {output}/report.html, results.json and {ParensDynamicsReport.Files.Count - 2} CSVs"));
    }
}
