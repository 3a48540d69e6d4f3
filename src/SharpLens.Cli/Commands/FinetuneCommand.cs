// `sharplens finetune`: fine-tune a pretrained encoder on type-kind token classification or docstring↔body retrieval.
using System.CommandLine;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

internal static class FinetuneCommand
{
    /// <summary>Bounds on the sizes of one step (batch × seq-len tokens, each pair holding two inputs for doc-retrieval).</summary>
    internal const int MaxBatch = 4_096, MaxSeqLen = 8_192;

    public static Command Create()
    {
        var cmd = new Command("finetune", "Fine-tune an encoder (roberta-rope or bigs): type-kind (assignment targets → RHS kind) or doc-retrieval (docstring ↔ body).");
        var task = new Option<string>("--task") { Description = "type-kind | doc-retrieval", Required = true };
        var model = new Option<string>("--model") { Description = "Pretrained encoder folder (from sharplens train --objective mlm)", Required = true };
        var corpus = new Option<string>("--corpus") { Description = "Folder of Python files (every 5th file, by path, is held out)", Required = true };
        var glob = new Option<string>("--glob") { Description = "File pattern", DefaultValueFactory = _ => "*.py" };
        var outDir = new Option<string>("--out") { Description = "Output HF folder", Required = true };
        var steps = new Option<int>("--steps") { Description = "Optimiser steps", DefaultValueFactory = _ => 300 };
        var batch = new Option<int>("--batch") { Description = "Examples (or pairs) per step", DefaultValueFactory = _ => 16 };
        var seqLen = new Option<int>("--seq-len") { Description = "Maximum tokens per input", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (warmup, then cosine to lr/10)", DefaultValueFactory = _ => 2e-4 };
        var seed = new Option<long>("--seed") { Description = "Seed", DefaultValueFactory = _ => 1 };
        var threads = new Option<int?>("--threads") { Description = "Torch threads (default: the CPUs available to the process)" };
        var precision = new Option<string>("--precision") { Description = "bf16 | fp32 | auto (bf16 where the CPU has native bf16 products)", DefaultValueFactory = _ => "auto" };
        foreach (var o in new Option[] { task, model, corpus, glob, outDir, steps, batch, seqLen, lr, seed, threads, precision }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var t = parse.GetValue(task) switch
            {
                "type-kind" => FineTuneTask.TypeKind, "doc-retrieval" => FineTuneTask.DocRetrieval,
                var x => throw new UsageException($"--task must be type-kind or doc-retrieval, found '{x}'"),
            };
            string modelDir = parse.GetValue(model)!, output = CliCommon.OutputFolder(parse.GetValue(outDir)!, "--out");
            CliCommon.AtLeast(parse.GetValue(steps), 1, "--steps");
            CliCommon.InRange(parse.GetValue(batch), 1, MaxBatch, "--batch");
            CliCommon.InRange(parse.GetValue(seqLen), 2, MaxSeqLen, "--seq-len");
            if (parse.GetValue(lr) is var rate && !(rate > 0 && double.IsFinite(rate))) throw new UsageException($"--lr must be a positive number, found {rate}");
            if (parse.GetValue(threads) is int th) CliCommon.AtLeast(th, 1, "--threads");
            TrainPrecision? mixed = parse.GetValue(precision) switch
            {
                "auto" => null, "bf16" => TrainPrecision.Bf16, "fp32" => TrainPrecision.Fp32,
                var x => throw new UsageException($"--precision must be bf16, fp32 or auto, found '{x}'"),
            };
            var tok = TrainTokenizers.Load(modelDir);
            var r = FineTuner.Run(modelDir, parse.GetValue(corpus)!, parse.GetValue(glob)!, tok, output, new FineTuneOptions
            {
                Task = t, Steps = parse.GetValue(steps), Batch = parse.GetValue(batch), SeqLen = parse.GetValue(seqLen), Lr = parse.GetValue(lr),
                Seed = parse.GetValue(seed), Threads = parse.GetValue(threads), Precision = mixed,
            }, Console.WriteLine);
            var scores = t == FineTuneTask.TypeKind ? $"accuracy {r.Accuracy:P1}, macro-F1 {r.MacroF1:F3}" : $"MRR {r.Mrr:F3}";
            Console.WriteLine($"done: {r.TrainExamples} train / {r.TestExamples} held-out, final loss {r.FinalLoss:F4}, {scores}, wall {r.Wall:hh\\:mm\\:ss} → {output}");
            AtomicFile.WriteText(Path.Combine(output, "finetune_result.json"), System.Text.Json.JsonSerializer.Serialize(r, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            return 0;
        });
        return cmd;
    }
}
