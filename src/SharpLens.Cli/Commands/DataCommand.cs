// `sharplens data …`: writes the code datasets (closing-paren prompts, probe pairs) as JSONL with provenance.
using System.CommandLine;
using SharpLens.Analysis.Parens;
using SharpLens.Code;
using SharpLens.Code.Datasets;
using SharpLens.Reports;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

internal static class DataCommand
{
    public static Command Create()
    {
        var data = new Command("data", "Generate code datasets as JSONL (closing-paren prompts, syntax probe pairs, function corpora).");
        data.Subcommands.Add(Parens());
        data.Subcommands.Add(DataProbePairsCommand.Create());
        data.Subcommands.Add(DataFunctionsCommand.Create());
        data.Subcommands.Add(TemplateCheckCommand());
        return data;
    }

    static Command TemplateCheckCommand()
    {
        var runOpt = new Option<string>("--run") { Description = "Training run folder (with run.json and its tokenizer)", Required = true };
        var cacheOpt = new Option<string?>("--cache") { Description = "The run's token cache (default: RUN/token_cache)" };
        var tokOpt = new Option<string?>("--tokenizer") { Description = "The run's tokenizer folder (default: RUN, where a finished run keeps it)" };
        var textOpt = new Option<string[]>("--text") { Description = "Strings to search (repeatable; default: the study template's '#print the string' and 'print(str(')" };
        var outOpt = new Option<string?>("--out") { Description = "Also write the counts as JSON to this file" };
        var cmd = new Command("template-check", "Count the closing-paren study's template in what a run trained on: its token cache, document by document, and " +
            "every training sequence of the run (corpus windows and procedural data, regenerated exactly). Exit 1 when any string is found.");
        foreach (var o in new Option[] { runOpt, cacheOpt, tokOpt, textOpt, outOpt }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var runDir = parse.GetValue(runOpt)!;
            var output = parse.GetValue(outOpt) is { } o ? CliCommon.OutputFile(o, "--out") : null;
            var run = RunStream.Read(runDir);
            var tok = TrainTokenizers.Load(parse.GetValue(tokOpt) ?? runDir);
            var cacheDir = parse.GetValue(cacheOpt) ?? Path.Combine(runDir, "token_cache");
            var cache = TokenCache.Open(cacheDir, tok);
            var texts = parse.GetValue(textOpt) is { Length: > 0 } t ? t : Procedural.Forbidden;
            var result = TemplateCheck.Run(cache, tok, run, texts);
            Console.WriteLine($"searched {result.CacheDocuments:N0} documents ({result.CacheTokens:N0} tokens) of the token cache and " +
                $"{result.Sequences:N0} training sequences of {result.Steps:N0} steps ({result.ProceduralSequences:N0} procedural)");
            Console.WriteLine($"{"string",-24} {"cache docs",10} {"cache hits",10} {"stream seqs",11} {"stream hits",11}");
            foreach (var h in result.Hits)
                Console.WriteLine($"{System.Text.Json.JsonSerializer.Serialize(h.Text),-24} {h.CacheDocuments,10:N0} {h.CacheOccurrences,10:N0} {h.StreamSequences,11:N0} {h.StreamOccurrences,11:N0}");
            if (output is not null)
                AtomicFile.WriteText(output, System.Text.Json.JsonSerializer.Serialize(result, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine(result.Clean ? "clean: no occurrence" : "FOUND: the training data contains the searched strings");
            return result.Clean ? 0 : 1;
        });
        return cmd;
    }

    static Command Parens()
    {
        var outOpt = new Option<string>("--out") { Description = "Output JSONL file.", Required = true };
        var depthsOpt = new Option<string>("--depths") { Description = "Depths (closing parens in the label), e.g. 1-4 or 1,3.", DefaultValueFactory = _ => "1-4" };
        var perDepthOpt = new Option<string>("--per-depth") { Description = "train/dev/test examples per depth.", DefaultValueFactory = _ => "350/150/150" };
        var seedOpt = new Option<long>("--seed") { Description = "Random seed (same seed → byte-identical file).", DefaultValueFactory = _ => 0 };
        var variantOpt = new Option<string>("--variant") { Description = "template | closed | mined.", DefaultValueFactory = _ => "template" };
        variantOpt.AcceptOnlyFromAmong("template", "closed", "mined");
        var maxClosedOpt = new Option<int>("--max-closed") { Description = "closed variant: parens already closed drawn from 1..N.", DefaultValueFactory = _ => 3 };
        var sourceOpt = new Option<string?>("--source") { Description = "mined variant: directory of source files." };
        var langOpt = new Option<string>("--lang") { Description = "mined variant: language name, or 'all'.", DefaultValueFactory = _ => "python" };
        var contextOpt = new Option<int>("--context-lines") { Description = "mined variant: lines of context in the prompt.", DefaultValueFactory = _ => 40 };
        var maxFilesOpt = new Option<int>("--max-files") { Description = "mined variant: read at most this many files.", DefaultValueFactory = _ => int.MaxValue };
        var allowEmptyOpt = CliCommon.AllowEmptyOption();
        var shardOpt = new Option<string?>("--shard") { Description = "mined variant: run shard I of N (0-based) of the source files into the run folder --out; `sharplens merge RUN` writes RUN/mined.jsonl (docs/cluster.md)" };

        var cmd = new Command("parens", "Closing-parenthesis prompts: the study template, the already-closed variant, or sites mined from real code.");
        foreach (var o in new Option[] { outOpt, depthsOpt, perDepthOpt, seedOpt, variantOpt, maxClosedOpt, sourceOpt, langOpt, contextOpt, maxFilesOpt, allowEmptyOpt, shardOpt })
            cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var shard = parse.GetValue(shardOpt) is { } shardText ? Shard.Parse(shardText) : (Shard?)null;
            var variant = parse.GetValue(variantOpt)!;
            if (shard is not null && variant != "mined")
                throw new UsageException($"--shard needs --variant mined (its source files are the work units), found --variant {variant}");
            var output = shard is null ? CliCommon.OutputFile(parse.GetValue(outOpt)!, "--out") : CliCommon.OutputFolder(parse.GetValue(outOpt)!, "--out");
            CliCommon.AtLeast(parse.GetValue(maxClosedOpt), 1, "--max-closed");
            CliCommon.AtLeast(parse.GetValue(contextOpt), 0, "--context-lines");
            CliCommon.AtLeast(parse.GetValue(maxFilesOpt), 1, "--max-files");
            var depths = ParensDataset.ParseDepths(parse.GetValue(depthsOpt)!);
            var sizes = SplitSizes.Parse(parse.GetValue(perDepthOpt)!);
            var seed = parse.GetValue(seedOpt);
            bool allowEmpty = parse.GetValue(allowEmptyOpt);
            IReadOnlyList<ParensExample> examples;
            if (variant == "mined")
            {
                var source = parse.GetValue(sourceOpt) ?? throw new UsageException("--variant mined expects --source DIR, found none");
                var lang = parse.GetValue(langOpt)!;
                var languages = lang == "all" ? Array.Empty<Language>() : [Language.FromName(lang)];
                if (shard is Shard s)
                    return DataSharding.RunMined(new DataSharding.MinedSettings(depths, $"{sizes.Train}/{sizes.Dev}/{sizes.Test}", seed, lang,
                        parse.GetValue(contextOpt), parse.GetValue(maxFilesOpt), allowEmpty), languages, source, s, output);
                var (mined, report) = MinedParens.Mine(source, languages, depths, sizes, seed, parse.GetValue(contextOpt), parse.GetValue(maxFilesOpt));
                examples = mined;
                PrintMining(report, depths, sizes);
            }
            else
            {
                examples = ParensDataset.Generate(depths, sizes, seed, variant == "closed", parse.GetValue(maxClosedOpt));
            }
            WriteExamples(output, examples, variant, allowEmpty);
            return 0;
        });
        return cmd;
    }

    /// <summary>What a mining run read, skipped and found (stderr), the same for a sharded build's merge.</summary>
    internal static void PrintMining(MiningReport report, IReadOnlyList<int> depths, SplitSizes sizes)
    {
        Console.Error.WriteLine($"read {report.Scan.Read} files ({report.Scan.BytesRead / 1e6:F1} MB); skipped {report.Scan.SkippedNotUtf8} not UTF-8, " +
            $"{report.Scan.SkippedTooLarge} too large, {report.Scan.SkippedUnreadable} unreadable, {report.FilesWithParseErrors} with parse errors");
        foreach (var d in depths)
            Console.Error.WriteLine($"depth {d}: {report.SitesPerDepth[d]} sites found" +
                (report.Shortfall.TryGetValue(d, out var s) ? $", SHORT by {s} of {sizes.Total} requested" : ""));
    }

    /// <summary>The examples as JSONL, written atomically (none: an error unless --allow-empty).</summary>
    internal static void WriteExamples(string output, IReadOnlyList<ParensExample> examples, string variant, bool allowEmpty)
    {
        CliCommon.RequireRecords(examples.Count, $"{variant} example", allowEmpty);
        AtomicFile.Write(output, fs => Jsonl.Write(fs, examples, ParensExample.WriteJson));
        Console.Error.WriteLine($"wrote {examples.Count} {variant} examples to {output}");
    }
}
