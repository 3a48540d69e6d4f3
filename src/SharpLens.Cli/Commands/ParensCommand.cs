// `sharplens parens`: the closing-parenthesis study end to end (library: Analysis/Parens; files: Reports/ParensReport).
using System.CommandLine;
using SharpLens.Analysis.Parens;
using SharpLens.Code.Datasets;
using SharpLens.Reports;
using System.Globalization;
using SharpLens.Tokenization;
using Spectre.Console;

namespace SharpLens.Cli.Commands;

internal static class ParensCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face checkpoint folder (with its tokenizer)", Required = true };
        var outDir = new Option<string>("--out") { Description = "report folder (report.html, results.json, CSVs)", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer folder when it is not the model folder" };
        var depths = new Option<string>("--depths") { Description = "missing closing parens, e.g. 1-4 or 1,3", DefaultValueFactory = _ => "1-4" };
        var n = new Option<int>("--n") { Description = "prompts per depth", DefaultValueFactory = _ => 150 };
        var dataset = new Option<string>("--dataset") { Description = "template | mined | FILE.jsonl (from `sharplens data parens`)", DefaultValueFactory = _ => "template" };
        var source = new Option<string?>("--source") { Description = "--dataset mined: folder of source files" };
        var seed = new Option<long>("--seed") { Description = "dataset seed", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { Description = "prompts per forward pass", DefaultValueFactory = _ => 16 };
        var ablationN = new Option<int>("--ablation-n") { Description = "prompts per depth for the ablations (one forward per head/layer and mode)", DefaultValueFactory = _ => 20 };
        var dtype = CliCommon.DTypeOption();
        var cmd = new Command("parens", "The closing-parenthesis study: accuracy, logit lens, attribution, attention, counting heads, ablation → one HTML report + JSON/CSV.")
            { model, outDir, tokenizer, depths, n, dataset, source, dtype, seed, batch, ablationN };
        cmd.SetAction(r =>
        {
            var options = new ParensStudyOptions
            {
                Depths = Parse(() => ParensDataset.ParseDepths(r.GetValue(depths)!)), N = CliCommon.InRange(r.GetValue(n), 1, SplitSizes.MaxTotal, "--n"),
                Dataset = r.GetValue(dataset)!, Source = r.GetValue(source), Seed = r.GetValue(seed),
                Batch = CliCommon.InRange(r.GetValue(batch), 1, 4096, "--batch"), AblationN = CliCommon.InRange(r.GetValue(ablationN), 1, SplitSizes.MaxTotal, "--ablation-n"),
            };
            var modelDir = r.GetValue(model)!;
            var tokDir = r.GetValue(tokenizer) ?? modelDir;
            var output = Path.GetFullPath(r.GetValue(outDir)!);
            CliCommon.OutputFolder(output, "--out");
            using var m = CliCommon.LoadModel(modelDir, r.GetValue(dtype)!);
            var tok = LoadTokenizer(tokDir);
            if (tok.VocabSize > m.Info.DVocab) throw new UsageException($"tokenizer in {tokDir} has {tok.VocabSize} ids but the model's vocabulary has {m.Info.DVocab}");
            var examples = ParensData.Load(options.Dataset, options.Depths, options.N, options.Seed, options.Source);
            var prompts = ParensPrompts.Prepare(tok, examples);
            var closed = ParensPrompts.Prepare(tok, ParensData.Closed(options.Depths, options.N, options.Seed, options.MaxClosed));

            var result = ProgressBars.Run(progress => ParensStudy.Run(m, prompts, closed, options, progress, id => tok.IdToToken(id) ?? id.ToString()));
            CliCommon.WriteFolder(output, tmp => { ParensReport.Write(result, tmp); return tmp; });
            Summary.Print(result, output);
            return 0;
        });
        return cmd;
    }

    /// <summary>The tokenizer in a folder, or a usage error naming --tokenizer (shared with the generic analysis verbs).</summary>
    internal static Tokenizer LoadTokenizer(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"tokenizer folder not found: {dir}");
        try { return Tokenizer.Load(dir); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            throw new UsageException($"expected a tokenizer (tokenizer.json, tokenizer.model or vocab.json + merges.txt) in {dir}, found none usable ({e.Message}); pass --tokenizer DIR");
        }
    }

    static IReadOnlyList<int> Parse(Func<IReadOnlyList<int>> f)
    {
        try { return f(); } catch (FormatException e) { throw new UsageException("--depths: " + e.Message); }
    }
}

/// <summary>The console summary (Spectre tables over the study's records).</summary>
internal static class Summary
{
    static string N(double v, string f = "0.###") => double.IsNaN(v) ? "–" : v.ToString(f, CultureInfo.InvariantCulture);

    public static void Print(ParensStudyResult r, string output)
    {
        var acc = new Table().Title("accuracy (greedy, full vocabulary)").AddColumns("variant", "depth", "n", "correct", "accuracy", "mean logit diff");
        foreach (var a in r.Accuracy) acc.AddRow(a.Variant, a.Depth == 0 ? "all" : $"{a.Depth}", $"{a.N}", $"{a.Correct}", N(a.Accuracy), N(a.MeanLogitDiff));
        AnsiConsole.Write(acc);
        var lens = new Table().Title("logit lens: first site where most prompts rank the answer top-1").AddColumns("depth", "site", "top-1 there", "prompts never top-1");
        foreach (var f in r.FirstTop1) lens.AddRow(f.Depth == 0 ? "all" : $"{f.Depth}", f.Layer is int l ? $"{f.Site} {l}" : "never", N(f.Top1Fraction), $"{f.PromptsNeverTop1}");
        AnsiConsole.Write(lens);
        var all = r.DlaSummary.FirstOrDefault(s => s.Depth == 0);
        if (all is not null)
            AnsiConsole.MarkupLine(CliCommon.Escape($"attribution (all depths): attention {N(all.TotalAttn)}, MLP {N(all.TotalMlp)}, embed {N(all.Embed)}; " +
                $"Σ components {N(all.MeanSum, "0.#####")} vs logit diff {N(all.MeanActual, "0.#####")}, max |error| {all.MaxAbsError:0.###e+0}"));
        var heads = new Table().Title("counting heads (already-closed prompts)").AddColumns("rank", "head", "correct", "closed", "corr(attn, c)", "verdict");
        foreach (var c in r.CountingHeads.Take(5)) heads.AddRow($"{c.Rank}", $"L{c.Layer}H{c.Head}", N(c.CorrectRate), N(c.ClosedRate), N(c.CorrAttnClosed), CliCommon.Escape(c.Verdict));
        AnsiConsole.Write(heads);
        var flagged = r.Ablation.Where(a => a.Depth == 0 && a.Kind == "head" && a.ImprovesAccuracy).Select(a => $"{a.Target} ({a.Mode}, {a.DeltaAccuracy:+0.###;-0.###})").ToList();
        AnsiConsole.MarkupLine(CliCommon.Escape("heads whose ablation improves accuracy: " + (flagged.Count == 0 ? "none" : string.Join(", ", flagged))));
        var claims = new Table().Title("paper vs this model").AddColumns("topic", "verdict");
        foreach (var c in r.Claims) claims.AddRow(CliCommon.Escape(c.Topic), CliCommon.Escape(c.Verdict));
        AnsiConsole.Write(claims);
        foreach (var note in r.Notes) AnsiConsole.MarkupLine(CliCommon.Escape("note: " + note));
        AnsiConsole.MarkupLine(CliCommon.Escape($"wrote {output}/report.html, results.json and 6 CSVs"));
    }
}
