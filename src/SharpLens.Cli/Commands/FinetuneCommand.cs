// `sharplens finetune`: fine-tune a pretrained encoder on token classification (type-kind, type-inference) or retrieval (doc-retrieval, code-search).
using System.CommandLine;
using SharpLens.Analysis.SsmInterpret;
using SharpLens.Reports;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

internal static class FinetuneCommand
{
    /// <summary>Bounds on the sizes of one step (batch × seq-len tokens, each pair holding two inputs for retrieval).</summary>
    internal const int MaxBatch = 4_096, MaxSeqLen = 8_192;

    public static Command Create()
    {
        var cmd = new Command("finetune", "Fine-tune an encoder (roberta-rope or bigs): type-kind, type-inference (token classification), doc-retrieval, code-search (bi-encoder).");
        var task = new Option<string>("--task") { Description = "type-kind | doc-retrieval (--corpus) | type-inference | code-search (--data)", Required = true };
        var model = new Option<string>("--model") { Description = "Pretrained encoder folder (from sharplens train --objective mlm)", Required = true };
        var corpus = new Option<string?>("--corpus") { Description = "type-kind, doc-retrieval: folder of Python files (every 5th file, by path, is held out)" };
        var data = new Option<string?>("--data") { Description = "type-inference, code-search: folder from `sharplens data functions` (train.jsonl to train, test.jsonl to score)" };
        var glob = new Option<string>("--glob") { Description = "File pattern of --corpus", DefaultValueFactory = _ => "*.py" };
        var outDir = new Option<string>("--out") { Description = "Output HF folder (+ finetune_result.json)", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps", DefaultValueFactory = _ => 300 };
        var batch = new Option<int>("--batch") { Description = "Examples (or pairs) per step", DefaultValueFactory = _ => 16 };
        var seqLen = new Option<int>("--seq-len") { Description = "Maximum tokens per input", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (warmup, then cosine to lr/10)", DefaultValueFactory = _ => 2e-4 };
        var seed = new Option<long>("--seed") { Description = "Seed", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default: the CPUs available to the process)" };
        var precision = new Option<string>("--precision") { Description = "bf16 | fp32 | auto (bf16 where the CPU has native bf16 products)", DefaultValueFactory = _ => "auto" };
        var types = new Option<int>("--types") { Description = "type-inference: the K most frequent normalised training types get labels (rarer ones none)", DefaultValueFactory = _ => 16 };
        var evalPairs = new Option<int>("--eval-pairs") { Description = "code-search: held-out pairs scored (refused when test.jsonl has fewer)", DefaultValueFactory = _ => 1000 };
        var pool = new Option<int>("--pool") { Description = "code-search: candidates per pool (the true function + pool−1 distractors)", DefaultValueFactory = _ => 1000 };
        var exportDtype = new Option<string>("--export-dtype") { Description = "Storage of the saved weights: float32 | bfloat16 (the reference is computed from the folder as it loads)", DefaultValueFactory = _ => "float32" };
        exportDtype.AcceptOnlyFromAmong("float32", "bfloat16");
        var role = new Option<string?>("--role") { Description = "Check the pretrained model fits this ssm-study role first: codessm | rocoder | codessm-hf" };
        foreach (var o in new Option[] { task, model, corpus, data, glob, outDir, steps, batch, seqLen, lr, seed, threads, precision, types, evalPairs, pool, role, exportDtype }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var t = parse.GetValue(task) switch
            {
                "type-kind" => FineTuneTask.TypeKind, "doc-retrieval" => FineTuneTask.DocRetrieval,
                "type-inference" => FineTuneTask.TypeInference, "code-search" => FineTuneTask.CodeSearch,
                var x => throw new UsageException($"--task must be type-kind, doc-retrieval, type-inference or code-search, found '{x}'"),
            };
            bool functions = t is FineTuneTask.TypeInference or FineTuneTask.CodeSearch;
            string input = (functions ? parse.GetValue(data) : parse.GetValue(corpus))
                ?? throw new UsageException($"--task {parse.GetValue(task)} expects {(functions ? "--data DIR (from `sharplens data functions`)" : "--corpus DIR")}, found none");
            string modelDir = parse.GetValue(model)!, output = CliCommon.OutputFolder(parse.GetValue(outDir)!, "--out");
            CliCommon.AtLeast(parse.GetValue(steps), 1, "--steps");
            CliCommon.InRange(parse.GetValue(batch), 1, MaxBatch, "--batch");
            CliCommon.InRange(parse.GetValue(seqLen), 2, MaxSeqLen, "--seq-len");
            CliCommon.InRange(parse.GetValue(types), 1, 1000, "--types");
            CliCommon.InRange(parse.GetValue(evalPairs), 2, 1_000_000, "--eval-pairs");
            CliCommon.InRange(parse.GetValue(pool), 2, 1_000_000, "--pool");
            if (parse.GetValue(lr) is var rate && !(rate > 0 && double.IsFinite(rate))) throw new UsageException($"--lr must be a positive number, found {rate}");
            if (parse.GetValue(threads) is int th) CliCommon.AtLeast(th, 1, "--threads");
            TrainPrecision? mixed = parse.GetValue(precision) switch
            {
                "auto" => null, "bf16" => TrainPrecision.Bf16, "fp32" => TrainPrecision.Fp32,
                var x => throw new UsageException($"--precision must be bf16, fp32 or auto, found '{x}'"),
            };
            FineTuner.RequireEncoder(modelDir, parse.GetValue(seqLen));
            if (parse.GetValue(role) is string r0) StudyManifest.CheckRole($"--model {modelDir}", r0, Path.Combine(modelDir, "config.json"));
            var tok = TrainTokenizers.Load(modelDir);
            var options = new FineTuneOptions
            {
                Task = t, Steps = parse.GetValue(steps), Batch = parse.GetValue(batch), SeqLen = parse.GetValue(seqLen), Lr = parse.GetValue(lr),
                Seed = parse.GetValue(seed), Threads = parse.GetValue(threads), Precision = mixed, Glob = parse.GetValue(glob)!, Types = parse.GetValue(types),
                EvalPairs = parse.GetValue(evalPairs), Pool = parse.GetValue(pool), ExportBf16 = parse.GetValue(exportDtype) == "bfloat16",
            };
            var res = CliCommon.WriteFolder(output, dir =>
            {
                var r = FineTuner.Run(modelDir, input, tok, dir, options, Console.WriteLine);
                AtomicFile.WriteText(Path.Combine(dir, "finetune_result.json"), System.Text.Json.JsonSerializer.Serialize(r, SharpLens.Reports.ReportJson.Options) + "\n");
                return r;
            });
            var scores = res.Mrr is double mrr ? $"MRR {mrr:F3} ({res.Pools} pool{(res.Pools == 1 ? "" : "s")} of {res.Pool})"
                : $"accuracy {res.Accuracy:P1}, macro-F1 {res.MacroF1:F3} on {res.TestTokens} labelled tokens";
            Console.WriteLine($"done: {res.TrainExamples} train / {res.TestExamples} held-out, final loss {res.FinalLoss:F4}, {scores}, wall {res.Wall:hh\\:mm\\:ss} → {output}");
            return 0;
        });
        return cmd;
    }
}
