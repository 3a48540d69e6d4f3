// `sharplens train`: pretrain a model (clm or mlm) from scratch on a code corpus and save it as an HF folder.
using System.CommandLine;
using System.Runtime.InteropServices;
using SharpLens.Reports;
using SharpLens.Training;
using Spectre.Console;

namespace SharpLens.Cli.Commands;

internal static class TrainCommand
{
    public static Command Create()
    {
        var cmd = new Command("train", "Train a model from scratch on a corpus (identical data stream for every architecture given the seed).");
        var arch = new Option<string>("--arch") { Description = "llama | gpt2 | roberta-rope | bigs | mamba", DefaultValueFactory = _ => "llama" };
        var objective = new Option<string>("--objective") { Description = "clm (causal) | mlm (masked, 15% 80/10/10)", DefaultValueFactory = _ => "clm" };
        var corpus = new Option<string[]>("--corpus")
        {
            Description = "Corpus: DIR[:GLOB][@WEIGHT] (repeatable; weight = times sampled per epoch) or a manifest .json " +
                          "{\"sources\":[{\"path\",\"glob\",\"weight\"}],\"holdout\"}", Required = true,
        };
        var glob = new Option<string>("--glob") { Description = "File pattern of --corpus folders given without :GLOB", DefaultValueFactory = _ => "*.py" };
        var holdout = new Option<double?>("--holdout") { Description = "Fraction of files (by content hash) kept out of training, listed in OUT/heldout_files.txt (default 0)" };
        var precision = new Option<string>("--precision") { Description = "bf16 (bf16 products, fp32 master weights) | fp32 | auto (bf16 where the CPU has native bf16)", DefaultValueFactory = _ => "auto" };
        var procedural = new Option<string?>("--procedural") { Description = "Procedural data, a fraction of the sequences: KIND:FRACTION[,…], kinds dyck, copy, calls, calls-copy, nest-copy (e.g. dyck:0.01,copy:0.005; see Procedural.cs)" };
        var proceduralSchedule = new Option<string>("--procedural-schedule") { Description = "front (a warm-up before the corpus) | spread (evenly among corpus sequences)", DefaultValueFactory = _ => "front" };
        var convKernel = new Option<int?>("--conv-kernel") { Description = "bigs only (CodeSSM-HF): add a parallel causal depthwise convolution of this size beside each S4D branch" };
        var convMerge = new Option<string>("--conv-merge") { Description = "bigs --conv-kernel: sum | gate (sigmoid gate per channel)", DefaultValueFactory = _ => "sum" };
        var snapshotEvery = new Option<int>("--snapshot-every") { Description = "Save bf16 snapshots to OUT/snapshots/step_N every N steps (0 = none)", DefaultValueFactory = _ => 0 };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer folder (tokenizer.json …), copied into --out", Required = true };
        var trainTokenizer = new Option<int?>("--train-tokenizer") { Description = "First train SharpLens' byte-level BPE (as `tokenizer train`: ) runs and digits single tokens) with this vocab size on the corpus and save it to --tokenizer" };
        var outDir = new Option<string>("--out") { Description = "Output folder (HF model + train_log.csv + loss.png + checkpoint/)", Required = true };
        var cacheDir = new Option<string?>("--cache") { Description = "Token cache folder (default: OUT/token_cache)" };
        var layers = new Option<int>("--layers") { Description = "Layers", DefaultValueFactory = _ => 4 };
        var dModel = new Option<int>("--d-model") { Description = "Residual width", DefaultValueFactory = _ => 256 };
        var heads = new Option<int>("--heads") { Description = "Attention heads", DefaultValueFactory = _ => 4 };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "Key/value heads (llama; default = --heads)" };
        var dMlp = new Option<int?>("--d-mlp") { Description = "MLP width (default: llama 8/3·d_model rounded to 16, others 4·d_model)" };
        var dState = new Option<int>("--d-state") { Description = "SSM state size (mamba) / S4D modes (bigs)", DefaultValueFactory = _ => 16 };
        var seqLen = new Option<int>("--seq-len") { Description = "Sequence length", DefaultValueFactory = _ => 256 };
        var batch = new Option<int>("--batch") { Description = "Sequences per step", DefaultValueFactory = _ => 16 };
        var tokens = new Option<long?>("--tokens") { Description = "Token budget (steps = tokens / (batch·seq-len))" };
        var steps = new Option<int?>("--steps") { Description = "Step budget (instead of --tokens)" };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 1e-3 };
        var warmup = new Option<int>("--warmup") { Description = "Linear warmup steps", DefaultValueFactory = _ => 100 };
        var minLr = new Option<double>("--min-lr") { Description = "Learning rate at the end of the cosine", DefaultValueFactory = _ => 1e-4 };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW decoupled weight decay (matrices only)", DefaultValueFactory = _ => 0.1 };
        var clip = new Option<double>("--clip") { Description = "Global gradient-norm clip (0 = off)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long>("--seed") { Description = "Seed of initialisation, data order and masking", DefaultValueFactory = _ => 1234 };
        var every = new Option<int>("--checkpoint-every") { Description = "Checkpoint every N steps (0 = end and stop only)", DefaultValueFactory = _ => 200 };
        var threads = new Option<string>("--threads") { Description = "Torch threads: N or auto (the CPUs available to the process); resume bit-exactly with the same number", DefaultValueFactory = _ => "auto" };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUT/checkpoint (refused if it belongs to another run)" };
        var evalParens = new Option<int>("--eval-parens") { Description = "After a clm run, greedy accuracy on N closing-paren prompts per depth 1–4 (0 = skip)", DefaultValueFactory = _ => 200 };
        var exportDtype = new Option<string>("--export-dtype") { Description = "Storage of the exported weights: float32 | bfloat16 (rounded before the verify reference is computed)", DefaultValueFactory = _ => "float32" };
        exportDtype.AcceptOnlyFromAmong("float32", "bfloat16");
        var exportOnly = new Option<bool>("--export-only") { Description = "With --resume: write the HF folder from the checkpoint (e.g. of a stopped run) without training further" };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from this HF folder's weights (same arch and sizes): continued pretraining, fresh optimiser and schedule" };
        var evalMlm = new Option<string[]>("--eval-mlm") { Description = "After an mlm run, masked-token accuracy on these functions files (valid.jsonl, test.jsonl of `data functions`) → OUT/mlm_eval.json (repeatable)" };
        var evalMlmMax = new Option<int>("--eval-mlm-max") { Description = "Functions per --eval-mlm file (the first N)", DefaultValueFactory = _ => 2000 };
        var evalOnly = new Option<bool>("--eval-only") { Description = "Only run the closing-paren evaluation on the model already saved in --out" };
        foreach (var o in new Option[] { arch, objective, corpus, glob, holdout, precision, procedural, proceduralSchedule, snapshotEvery, convKernel, convMerge, tokenizer, trainTokenizer, outDir, cacheDir, layers, dModel, heads, kvHeads, dMlp, dState,
                     seqLen, batch, tokens, steps, lr, warmup, minLr, wd, clip, seed, every, threads, resume, evalParens, evalOnly, exportOnly, exportDtype, initFrom, evalMlm, evalMlmMax })
            cmd.Options.Add(o);

        cmd.SetAction(parse =>
        {
            {
                if (parse.GetValue(evalOnly))
                    return EvalParens(parse.GetValue(outDir)!, TrainTokenizers.Load(parse.GetValue(tokenizer)!), Math.Max(1, parse.GetValue(evalParens)));
                var options = new TrainOptions
                {
                    Arch = parse.GetValue(arch)!,
                    Objective = parse.GetValue(objective) switch
                    {
                        "clm" => Objective.Clm, "mlm" => Objective.Mlm,
                        var x => throw new ArgumentException($"--objective must be clm or mlm, found '{x}'"),
                    },
                    Layers = parse.GetValue(layers), DModel = parse.GetValue(dModel), Heads = parse.GetValue(heads), KvHeads = parse.GetValue(kvHeads),
                    DMlp = parse.GetValue(dMlp), DState = parse.GetValue(dState), SeqLen = parse.GetValue(seqLen), Batch = parse.GetValue(batch),
                    Tokens = parse.GetValue(tokens), Steps = parse.GetValue(steps), Lr = parse.GetValue(lr), Warmup = parse.GetValue(warmup),
                    MinLr = parse.GetValue(minLr), WeightDecay = parse.GetValue(wd), Clip = parse.GetValue(clip), Seed = parse.GetValue(seed),
                    CheckpointEvery = parse.GetValue(every), Threads = ParseThreads(parse.GetValue(threads)!), InitFrom = parse.GetValue(initFrom),
                    Precision = ParsePrecision(parse.GetValue(precision)!), Procedural = ProceduralMix.ParseList(parse.GetValue(procedural)), ProceduralSchedule = ProceduralMix.ParseSchedule(parse.GetValue(proceduralSchedule)), ExportBf16 = parse.GetValue(exportDtype) == "bfloat16",
                    SnapshotEvery = parse.GetValue(snapshotEvery), ConvKernel = parse.GetValue(convKernel), ConvMerge = parse.GetValue(convMerge)!,
                };
                options.Validate();
                ModelFactory.RequireAvailable(options.Arch);
                var mlmFiles = parse.GetValue(evalMlm) ?? [];
                if (mlmFiles.Length > 0 && options.Objective != Objective.Mlm) throw new UsageException($"--eval-mlm needs --objective mlm, found {options.Objective.ToString().ToLowerInvariant()}");
                foreach (var f in mlmFiles) if (!File.Exists(f)) throw new FileNotFoundException($"--eval-mlm: functions file not found: {f}", f);
                CliCommon.InRange(parse.GetValue(evalMlmMax), 1, 1_000_000, "--eval-mlm-max");
                string tokDir = parse.GetValue(tokenizer)!, output = parse.GetValue(outDir)!;
                var (sources, holdOut) = ParseCorpus(parse.GetValue(corpus)!, parse.GetValue(glob)!, parse.GetValue(holdout));
                if (parse.GetValue(trainTokenizer) is int vocab)
                {
                    if (File.Exists(Path.Combine(tokDir, "tokenizer.json")))
                        throw new UsageException($"--train-tokenizer writes a new tokenizer into --tokenizer, but {tokDir} already holds a tokenizer.json; " +
                                                 "choose an empty folder, or drop --train-tokenizer to use that tokenizer");
                    Console.Error.WriteLine($"training a byte-level BPE tokenizer (vocab {vocab}) on {string.Join(", ", sources.Select(s => $"{s.Root}/**/{s.Glob}"))} …");
                    var docs = sources.SelectMany(s => s.ReadTexts())
                        .Where(t => !Procedural.ContainsForbidden(t));
                    new SharpLens.Tokenization.BpeTrainer(new SharpLens.Tokenization.BpeTrainerOptions { VocabSize = vocab }).Train(docs).Save(tokDir);
                }
                var tok = TrainTokenizers.Load(tokDir);
                var cache = TokenCache.OpenOrBuild(sources, holdOut, tok, parse.GetValue(cacheDir) ?? Path.Combine(output, "token_cache"), Console.Error.WriteLine);
                WriteHeldOut(output, cache);
                int code = Run(options, tok, cache, output, parse.GetValue(resume), parse.GetValue(exportOnly));
                if (code == 0 && mlmFiles.Length > 0) EvalMlm(output, tok, mlmFiles, options, parse.GetValue(evalMlmMax));
                if (code == 0 && options.Objective == Objective.Clm && parse.GetValue(evalParens) > 0)
                {
                    // The evaluation is a bonus after a finished run: a tokenizer without single-token paren runs skips it, not fails the run.
                    try { EvalParens(output, tok, parse.GetValue(evalParens)); }
                    catch (InvalidDataException e) { Console.Error.WriteLine($"note: closing-paren evaluation skipped: {e.Message}"); }
                }
                return code;
            }
        });
        return cmd;
    }

    /// <summary>--corpus values (folders with optional glob and weight, or one manifest .json) and the held-out fraction.</summary>
    static (List<CorpusSource> Sources, double HoldOut) ParseCorpus(string[] values, string defaultGlob, double? holdout)
    {
        if (values.Length == 1 && values[0].EndsWith(".json", StringComparison.OrdinalIgnoreCase) && File.Exists(values[0]))
        {
            var spec = CorpusSpec.Load(values[0]);
            if (holdout is double h && h != spec.HoldOut)
                throw new ArgumentException($"--holdout {h} contradicts the manifest's holdout {spec.HoldOut}; give it in one place");
            return (spec.Sources, spec.HoldOut);
        }
        var sources = values.Select(v => CorpusSource.Parse(v, defaultGlob)).ToList();
        foreach (var s in sources) s.ListFiles();                  // a source matching no file is an error before any work
        double fraction = holdout ?? 0;
        CorpusSpec.ValidateHoldOut(fraction, "--holdout");
        return (sources, fraction);
    }

    /// <summary>OUT/heldout_files.txt: the absolute paths of the held-out files, one a line (for evaluations on unseen code).</summary>
    static void WriteHeldOut(string output, TokenCache cache)
    {
        var m = cache.Manifest;
        if (m.HeldOut.Count == 0) return;
        AtomicFile.WriteText(Path.Combine(output, "heldout_files.txt"),
            string.Concat(m.HeldOut.Select(f => Path.GetFullPath(Path.Combine(m.Sources[f.Source].Root, f.Path)) + "\n")));
    }

    static int? ParseThreads(string value) => value == "auto" ? null
        : int.TryParse(value, out var n) && n >= 1 ? n : throw new ArgumentException($"--threads must be a whole number ≥ 1 or auto, found '{value}'");

    static TrainPrecision? ParsePrecision(string value) => value switch
    {
        "auto" => null, "bf16" => TrainPrecision.Bf16, "fp32" => TrainPrecision.Fp32,
        _ => throw new ArgumentException($"--precision must be bf16, fp32 or auto, found '{value}'"),
    };

    static int Run(TrainOptions options, TrainTokenizer tok, TokenCache cache, string output, bool resume, bool exportOnly)
    {
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; RequestStop(stop); };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; RequestStop(stop); });
        try
        {
            TrainResult result;
            if (Console.IsErrorRedirected || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            {
                long lastPrinted = -1;
                result = Trainer.Run(options, tok, cache, output, resume, p =>
                {
                    if (p.Step != p.TotalSteps && p.Step - lastPrinted < Math.Max(1, p.TotalSteps / 200) && p.Step > 10) return;
                    lastPrinted = p.Step;
                    Console.WriteLine($"step {p.Step}/{p.TotalSteps}  tokens {p.Tokens:N0}  loss {p.Loss:F4}  lr {p.Lr:G3}  {p.TokensPerSecond:F0} tok/s  " +
                                      $"elapsed {p.Elapsed:hh\\:mm\\:ss}  eta {Eta(p):hh\\:mm\\:ss}");
                }, stop.Token, Console.WriteLine, exportOnly: exportOnly);
            }
            else
            {
                result = null!;
                AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("training", maxValue: options.TotalSteps);
                        result = Trainer.Run(options, tok, cache, output, resume, p =>
                        {
                            task.Value = p.Step;
                            task.Description = $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} {p.TokensPerSecond:F0} tok/s eta {Eta(p):hh\\:mm\\:ss}";
                        }, stop.Token, m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), exportOnly: exportOnly);
                    });
            }
            if (result.Stopped)
            {
                Console.WriteLine($"stopped at step {result.Steps}/{result.TotalSteps}; checkpoint written to {Trainer.CheckpointPath(output)} — continue with --resume");
                return 130;
            }
            Console.WriteLine($"done: {result.Steps} steps, {result.TokensSeen:N0} tokens, final loss {result.FinalLoss:F4}, wall {result.Wall:hh\\:mm\\:ss}, " +
                              $"{result.Parameters:N0} parameters → {output}");
            return 0;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    /// <summary>Masked-token accuracy on held-out functions → console lines and mlm_eval.json beside the model.</summary>
    static void EvalMlm(string modelDir, TrainTokenizer tok, string[] files, TrainOptions o, int maxFunctions)
    {
        using var model = SharpLens.Loading.ModelLoader.Load(modelDir);
        var rows = files.Select(f => MlmEval.Evaluate(model, tok, f, o.SeqLen, o.Seed, maxFunctions)).ToList();
        foreach (var r in rows) Console.WriteLine($"masked-token accuracy on {r.File}: {r.Accuracy:P2} over {r.MaskedTokens:N0} masked tokens of {r.Functions} functions (loss {r.Loss:F4})");
        AtomicFile.WriteText(Path.Combine(modelDir, "mlm_eval.json"), System.Text.Json.JsonSerializer.Serialize(new
        {
            rule = "first seq_len tokens of each function, 15% of non-special tokens selected (80% mask / 10% random / 10% kept, the training rule, seeded by the run seed and function index); accuracy = argmax equals the original at selected positions",
            seq_len = o.SeqLen, seed = o.Seed, files = rows,
        }, SharpLens.Reports.ReportJson.Options) + "\n");
    }

    /// <summary>The parens study's accuracy on its template (depths 1–4) → console lines and paren_eval.json beside the model.</summary>
    static int EvalParens(string modelDir, TrainTokenizer tok, int perDepth)
    {
        using var model = SharpLens.Loading.ModelLoader.Load(modelDir);
        var rows = SharpLens.Analysis.Parens.ParensStudy.Accuracy(model, SharpLens.Tokenization.Tokenizer.Load(tok.Directory ?? throw new InvalidDataException("the closing-paren evaluation expects a tokenizer folder, found an in-memory tokenizer")), [1, 2, 3, 4], perDepth)
            .Where(r => r.Depth > 0).ToList();
        foreach (var r in rows) Console.WriteLine($"closing parens depth {r.Depth}: {r.Correct}/{r.N} = {r.Accuracy:P1} (mean p(label) {r.MeanLabelProb:0.###})");
        AtomicFile.WriteText(Path.Combine(modelDir, "paren_eval.json"), System.Text.Json.JsonSerializer.Serialize(rows.Select(r => new
        {
            depth = r.Depth, answer = new string(')', r.Depth), correct = r.Correct, total = r.N, accuracy = r.Accuracy, mean_label_prob = r.MeanLabelProb,
        }), SharpLens.Reports.ReportJson.Options) + "\n");
        return 0;
    }

    static void RequestStop(CancellationTokenSource stop)
    {
        if (stop.IsCancellationRequested) return;
        Console.Error.WriteLine("stop requested: finishing the current step, then writing a checkpoint …");
        stop.Cancel();
    }

    static TimeSpan Eta(TrainProgress p) => p.Eta;
}
