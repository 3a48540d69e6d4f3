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
        var study = new StudyOptions();
        var shard = new Option<string?>("--shard") { Description = "run shard I of N (0-based) of a sharded run into the run folder --out (see `sharplens merge`, docs/cluster.md)" };
        var stage = new Option<string?>("--stage") { Description = "with --shard: measure (the passes and the mean activations' partial sums; default) or ablate (after `merge RUN --step means`)" };
        var cmd = new Command("parens", "The closing-parenthesis study: accuracy, logit lens, attribution, attention, counting heads, ablation → one HTML report + JSON/CSV.");
        foreach (var o in study.All) cmd.Options.Add(o);
        cmd.Options.Add(shard);
        cmd.Options.Add(stage);
        cmd.SetAction(r =>
        {
            var stageName = r.GetValue(stage);
            if (r.GetValue(shard) is { } shardText)
            {
                var s = Shard.Parse(shardText);
                return ParensShards.RunShard(study.Read(r), s, stageName ?? ParensRun.Measure);
            }
            if (stageName is not null) throw new UsageException($"--stage {stageName} needs --shard I/N (a stage of a sharded run)");
            var inputs = study.Read(r);
            var output = Path.GetFullPath(CliCommon.OutputFolder(inputs.Out, "--out"));
            using var m = CliCommon.LoadModel(inputs.ModelDir, inputs.DType);
            var tok = LoadTokenizer(inputs.TokenizerDir);
            CheckVocabulary(tok, m, inputs.TokenizerDir);
            var (prompts, closed) = Prepare(tok, inputs.Options);

            var result = ProgressBars.Run(progress => ParensStudy.Run(m, prompts, closed, inputs.Options, progress, id => tok.IdToToken(id) ?? id.ToString()));
            CliCommon.WriteFolder(output, tmp => { ParensReport.Write(result, tmp); return tmp; });
            Summary.Print(result, output);
            return 0;
        });
        return cmd;
    }

    /// <summary>The study's prompts (main set and already-closed set) for these options.</summary>
    internal static (IReadOnlyList<PreparedPrompt> Prompts, IReadOnlyList<PreparedPrompt> Closed) Prepare(Tokenizer tok, ParensStudyOptions options)
    {
        var examples = ParensData.Load(options.Dataset, options.Depths, options.N, options.Seed, options.Source);
        return (ParensPrompts.Prepare(tok, examples), ParensPrompts.Prepare(tok, ParensData.Closed(options.Depths, options.N, options.Seed, options.MaxClosed)));
    }

    internal static void CheckVocabulary(Tokenizer tok, HookedModel m, string tokDir)
    {
        if (tok.VocabSize > m.Info.DVocab) throw new UsageException($"tokenizer in {tokDir} has {tok.VocabSize} ids but the model's vocabulary has {m.Info.DVocab}");
    }

    /// <summary>What the study's options resolve to: model and tokenizer folders, dtype, study options, output folder.</summary>
    internal sealed record StudyInputs(string ModelDir, string TokenizerDir, string DType, ParensStudyOptions Options, string Out);

    /// <summary>Every option of `parens` but --shard/--stage (also offered by `slurm parens`, which passes them on).</summary>
    internal sealed class StudyOptions
    {
        public Option<string> Model { get; } = new("--model") { Description = "Hugging Face checkpoint folder (with its tokenizer)", Required = true };
        public PromptOptions Prompts { get; } = new(n: 150, batch: 16, tokenizer: "tokenizer folder when it is not the model folder");
        public Option<int> AblationN { get; } = new("--ablation-n") { Description = "prompts per depth for the ablations (one forward per head/layer and mode)", DefaultValueFactory = _ => 20 };
        public Option<string> DType { get; } = CliCommon.DTypeOption();
        public IEnumerable<Option> All => [Model, .. Prompts.All, DType, AblationN];

        public StudyInputs Read(ParseResult r)
        {
            var options = Prompts.Read(r) with { AblationN = CliCommon.InRange(r.GetValue(AblationN), 1, SplitSizes.MaxTotal, "--ablation-n") };
            var modelDir = r.GetValue(Model)!;
            var dtype = r.GetValue(DType)!;
            CliCommon.ParseDType(dtype);
            return new StudyInputs(modelDir, r.GetValue(Prompts.Tokenizer) ?? modelDir, dtype, options, r.GetValue(Prompts.Out)!);
        }
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

    /// <summary>The report folder and prompt options `parens` and `parens-dynamics` share (same names, meanings and limits).</summary>
    internal sealed class PromptOptions(int n, int batch, string tokenizer)
    {
        public Option<string> Out { get; } = new("--out") { Description = "report folder (report.html, results.json, CSVs)", Required = true };
        public Option<string?> Tokenizer { get; } = new("--tokenizer") { Description = tokenizer };
        public Option<string> Depths { get; } = new("--depths") { Description = "missing closing parens, e.g. 1-4 or 1,3", DefaultValueFactory = _ => "1-4" };
        public Option<int> N { get; } = new("--n") { Description = "prompts per depth", DefaultValueFactory = _ => n };
        public Option<string> Dataset { get; } = new("--dataset") { Description = "template | mined | FILE.jsonl (from `sharplens data parens`)", DefaultValueFactory = _ => "template" };
        public Option<string?> Source { get; } = new("--source") { Description = "--dataset mined: folder of source files" };
        public Option<long> Seed { get; } = new("--seed") { Description = "dataset seed", DefaultValueFactory = _ => 0 };
        public Option<int> Batch { get; } = new("--batch") { Description = "prompts per forward pass (caches keep the last position only)", DefaultValueFactory = _ => batch };
        public IEnumerable<Option> All => [Out, Tokenizer, Depths, N, Dataset, Source, Seed, Batch];

        public ParensStudyOptions Read(ParseResult r)
        {
            IReadOnlyList<int> depths;
            try { depths = ParensDataset.ParseDepths(r.GetValue(Depths)!); } catch (FormatException e) { throw new UsageException("--depths: " + e.Message); }
            return new ParensStudyOptions
            {
                Depths = depths, N = CliCommon.InRange(r.GetValue(N), 1, SplitSizes.MaxTotal, "--n"), Dataset = r.GetValue(Dataset)!, Source = r.GetValue(Source),
                Seed = r.GetValue(Seed), Batch = CliCommon.InRange(r.GetValue(Batch), 1, 4096, "--batch"),
            };
        }
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
