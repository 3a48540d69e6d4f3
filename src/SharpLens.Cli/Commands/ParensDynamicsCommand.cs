// `sharplens parens-dynamics`: the closing-parenthesis study on every saved checkpoint of one run (library: ParensDynamics; files: Reports/ParensDynamicsReport).
using System.CommandLine;
using System.Globalization;
using SharpLens.Analysis.Parens;
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
        var prompts = new ParensCommand.PromptOptions(n: 100, batch: 64, tokenizer: "tokenizer folder when the checkpoints hold none (default: the first checkpoint)");
        var topK = new Option<int>("--top-k") { Description = "size of the top counting-head set compared across steps", DefaultValueFactory = _ => 5 };
        var dtype = CliCommon.DTypeOption();
        var shard = new Option<string?>("--shard") { Description = "run shard I of N (0-based) of the checkpoints into the run folder --out; `sharplens merge RUN` writes the report (docs/cluster.md)" };
        var cmd = new Command("parens-dynamics", "The closing-parenthesis study across training: accuracy, logit lens, attention vs MLP attribution and counting heads per checkpoint (the same prompts at every step) → one HTML section + JSON/CSV.")
            { checkpoints };
        foreach (var o in prompts.All) cmd.Options.Add(o);
        cmd.Options.Add(topK);
        cmd.Options.Add(dtype);
        cmd.Options.Add(shard);
        cmd.SetAction(r =>
        {
            var shardOf = r.GetValue(shard) is { } shardText ? Shard.Parse(shardText) : (Shard?)null;
            var options = new ParensDynamicsOptions { Study = prompts.Read(r), TopK = CliCommon.InRange(r.GetValue(topK), 1, 4096, "--top-k") };
            var load = new LoadOptions { DType = CliCommon.ParseDType(r.GetValue(dtype)!) };
            var output = Path.GetFullPath(CliCommon.OutputFolder(r.GetValue(prompts.Out)!, "--out"));
            var series = CheckpointSeries.Discover(r.GetValue(checkpoints) ?? []);
            var tokDir = Path.GetFullPath(r.GetValue(prompts.Tokenizer) ?? series[0].Directory);
            var tok = ParensCommand.LoadTokenizer(tokDir);
            if (shardOf is Shard s) return DynamicsSharding.RunShard(series, tokDir, tok, options, new ModelFolders(load), r.GetValue(dtype)!, s, output);
            Console.WriteLine($"{series.Count} checkpoints: steps {string.Join(", ", series.Select(c => c.Step))}");

            var result = ProgressBars.Run(progress => ParensDynamics.Run(series, tok, options, new ModelFolders(load), progress));
            CliCommon.WriteFolder(output, tmp => { ParensDynamicsReport.Write(result, tmp); return tmp; });
            Print(result, output);
            return 0;
        });
        return cmd;
    }

    static string N(double v, string f = "0.##") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);

    internal static void Print(ParensDynamicsResult r, string output)
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
