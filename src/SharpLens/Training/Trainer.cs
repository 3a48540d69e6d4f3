// The training loop: token cache → DataStream → model → loss → AdamW, with logging, checkpoints, stop requests and export.
using System.Diagnostics;
using SharpLens.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>Progress after one optimiser step.</summary>
public sealed record TrainProgress(long Step, long TotalSteps, long Tokens, double Loss, double Lr, double TokensPerSecond, TimeSpan Elapsed)
{
    /// <summary>The step this session started from (0, or the step a resume continued from); <see cref="Elapsed"/> counts from there.</summary>
    public long StartStep { get; init; }

    /// <summary>Time left at this session's pace.</summary>
    public TimeSpan Eta => Step <= StartStep ? TimeSpan.Zero : Elapsed / (Step - StartStep) * (TotalSteps - Step);
}

/// <summary>The outcome of <see cref="Trainer.Run"/>.</summary>
public sealed record TrainResult
{
    public required long Steps { get; init; }
    public required long TotalSteps { get; init; }
    public required long TokensSeen { get; init; }
    /// <summary>Mean training loss over the last (up to) 20 steps of this session.</summary>
    public required double FinalLoss { get; init; }
    /// <summary>Wall time of this session (a resumed run counts only its own time).</summary>
    public required TimeSpan Wall { get; init; }
    /// <summary>True when a stop request ended the run early (a checkpoint was written; resume with --resume).</summary>
    public required bool Stopped { get; init; }
    public required long Parameters { get; init; }
    public required string OutDir { get; init; }
}

/// <summary>Trains a model from scratch (or resumes) and writes an HF folder. See DataStream for the data order.</summary>
public static class Trainer
{
    /// <summary>Where the checkpoint of a run lives.</summary>
    public static string CheckpointPath(string outDir) => Path.Combine(outDir, "checkpoint", TrainCheckpoint.FileName);

    /// <summary>
    /// Runs the training described by <paramref name="o"/> (with <paramref name="exportOnly"/>, only writes the HF
    /// folder of a resumed checkpoint, e.g. of a run stopped early). Deterministic: same options, cache and thread count give
    /// the same weights bit for bit, and a run resumed from its checkpoint equals the uninterrupted run.
    /// </summary>
    public static TrainResult Run(TrainOptions o, TrainTokenizer tokenizer, TokenCache cache, string outDir, bool resume,
        Action<TrainProgress>? progress = null, CancellationToken stop = default, Action<string>? log = null,
        Action<long, Batch>? onBatch = null, bool exportOnly = false)
    {
        o.Validate();
        if (exportOnly && !resume) throw new ArgumentException("exporting a checkpoint without training needs --resume (the checkpoint to export)");
        ModelFactory.RequireAvailable(o.Arch);
        if (torch.get_num_threads() != o.ResolvedThreads) torch.set_num_threads(o.ResolvedThreads);   // process-wide: change only when needed
        var ckptPath = CheckpointPath(outDir);
        if (!resume && File.Exists(ckptPath))
            throw new InvalidOperationException($"{outDir} already holds a training checkpoint; pass --resume to continue it or choose another --out");
        Directory.CreateDirectory(outDir);

        var config = ModelFactory.Config(o, tokenizer);
        var data = new DataStream(cache, o.SeqLen, o.Batch, o.Seed, o.Objective, tokenizer, o.Procedural, o.TotalSteps, o.ProceduralSchedule);
        torch.random.manual_seed(o.Seed);
        var arch = ModelFactory.Create(config, o.InitStd);
        var model = arch.Model;
        if (o.InitFrom is string init) InitFrom(model, init);
        using var optimizer = new AdamW(ModelFactory.Trainable(model), o.WeightDecay, o.Beta1, o.Beta2, o.Eps);
        long total = o.TotalSteps, step = 0;
        var expected = new CheckpointState
        {
            Step = 0, TokensSeen = 0, DataStep = 0, Config = config.ToJsonString(), DataManifestHash = cache.ManifestHash,
            RunFingerprint = TrainCheckpoint.Fingerprint(o),
        };
        if (resume)
        {
            var state = TrainCheckpoint.Load(ckptPath, model, optimizer, expected);
            step = state.DataStep;
            log?.Invoke($"resumed from {ckptPath} at step {step} ({state.TokensSeen:N0} tokens)");
        }
        var trainLog = new TrainLog(Path.Combine(outDir, "train_log.csv"), step);
        long parameters = ModelFactory.ParameterCount(model);
        log?.Invoke($"{model.Info.Architecture}: {parameters:N0} parameters; {data.Sequences:N0} sequences of {o.SeqLen} per epoch; " +
                    $"{total:N0} steps × {o.TokensPerStep:N0} tokens = {total * o.TokensPerStep:N0} tokens");
        log?.Invoke(RunSettings(o, data));
        RunMetadata.Write(outDir, o, cache, data, parameters);

        model.train();
        long startStep = step;
        var wall = Stopwatch.StartNew();
        var sinceRow = Stopwatch.StartNew();
        var recent = new Queue<double>();
        double lossSum = 0; int lossCount = 0;
        bool stopped = false;
        void Checkpoint() => TrainCheckpoint.Save(ckptPath, model, optimizer,
            expected with { Step = step, DataStep = step, TokensSeen = step * o.TokensPerStep });
        // Products in bf16 only inside the loop: the export's reference activations are computed in fp32.
        using (Nn.Precision.Use(o.ResolvedPrecision == TrainPrecision.Bf16 ? ScalarType.BFloat16 : null))
        {
            while (!exportOnly && step < total)
            {
                double lr = LrSchedule.At(step, total, o.Lr, o.MinLr, o.Warmup);
                var batch = data.BatchAt(step);
                onBatch?.Invoke(step, batch);
                double loss = TrainStep(model, optimizer, batch, lr, o.Clip);
                if (!double.IsFinite(loss)) throw new InvalidOperationException($"loss became {loss} at step {step}; lower --lr or raise --warmup");
                step++;
                lossSum += loss; lossCount++;
                recent.Enqueue(loss);
                if (recent.Count > 20) recent.Dequeue();
                if (step % o.LogEvery == 0 || step == total)
                {
                    double tps = lossCount * o.TokensPerStep / Math.Max(1e-9, sinceRow.Elapsed.TotalSeconds);
                    var row = new TrainLogRow(step, step * o.TokensPerStep, lossSum / lossCount, lr, tps);
                    trainLog.Append(row);
                    progress?.Invoke(new TrainProgress(step, total, row.Tokens, row.Loss, lr, tps, wall.Elapsed) { StartStep = startStep });
                    lossSum = 0; lossCount = 0; sinceRow.Restart();
                }
                if (o.SnapshotEvery > 0 && step % o.SnapshotEvery == 0)
                    HfExport.SaveWeights(SnapshotPath(outDir, step), model, config, tokenizer, ScalarType.BFloat16);
                if (stop.IsCancellationRequested && step < total) { stopped = true; break; }
                if (o.CheckpointEvery > 0 && step % o.CheckpointEvery == 0 && step < total)
                {
                    Checkpoint();
                    trainLog.SavePlot(Path.Combine(outDir, "loss.png"), $"{model.Info.Architecture} ({o.Objective.ToString().ToLowerInvariant()})");
                }
            }
        }
        if (!exportOnly) Checkpoint();
        trainLog.SavePlot(Path.Combine(outDir, "loss.png"), $"{model.Info.Architecture} ({o.Objective.ToString().ToLowerInvariant()})");
        if (!stopped)
        {
            model.eval();
            var first = data.BatchAt(0);
            if (o.ExportBf16) HfExport.RoundToBf16(model);
            HfExport.Save(outDir, model, config, tokenizer, first.InputIds.Take(Math.Min(o.SeqLen, 64)).ToArray(), o.ExportBf16 ? ScalarType.BFloat16 : null);
        }
        var result = new TrainResult
        {
            Steps = step, TotalSteps = total, TokensSeen = step * o.TokensPerStep, FinalLoss = recent.Count > 0 ? recent.Average() : double.NaN,
            Wall = wall.Elapsed, Stopped = stopped, Parameters = parameters, OutDir = outDir,
        };
        model.Dispose();
        return result;
    }

    /// <summary>Where the snapshot of step <paramref name="step"/> lives.</summary>
    public static string SnapshotPath(string outDir, long step) => Path.Combine(outDir, "snapshots", $"step_{step:D6}");

    /// <summary>True when this process has Debian's tcmalloc preloaded (the CLI restarts itself under it where installed).</summary>
    public static bool RunsUnderTcmalloc => (Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "").Contains("tcmalloc", StringComparison.Ordinal);

    /// <summary>The line that reports how the run computes: precision, threads, warm-up.</summary>
    public static string RunSettings(TrainOptions o, DataStream data) =>
        $"precision {o.ResolvedPrecision.ToString().ToLowerInvariant()}" +
        (o.Precision is null ? $" (auto: the CPU {(Nn.Precision.CpuHasNativeBf16 ? "has" : "lacks")} native bf16 products)" : "") +
        $"; {o.ResolvedThreads} torch thread{(o.ResolvedThreads == 1 ? "" : "s")}" + (o.Threads is null ? $" (auto: {TrainOptions.AutoThreads} CPUs available)" : "") +
        (RunsUnderTcmalloc ? "; allocator tcmalloc" : "; allocator system malloc") +
        (data.ProceduralSteps > 0 ? $"; procedural warm-up {ProceduralMix.Format(o.Procedural)}: steps 0–{data.ProceduralSteps - 1}, corpus after" : "") +
        (o.Procedural.Count > 0 && o.ProceduralSchedule == ProceduralSchedule.Spread ? $"; procedural {ProceduralMix.Format(o.Procedural)} spread evenly through the run" : "");

    /// <summary>Copies every parameter from the model in <paramref name="dir"/>; names and shapes must match exactly.</summary>
    static void InitFrom(HookedModel model, string dir)
    {
        using var source = ModelLoader.Load(dir);
        var theirs = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!theirs.TryGetValue(name, out var t) || !t.shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"--init-from {dir}: parameter '{name}' [{string.Join(",", p.shape)}] " +
                    (t is null ? "is missing" : $"has shape [{string.Join(",", t.shape)}]") + "; it must be the same architecture and sizes");
            p.copy_(t);
        }
        if (theirs.Count != model.named_parameters().Count())
            throw new InvalidDataException($"--init-from {dir}: it has {theirs.Count} parameters, this model {model.named_parameters().Count()}");
    }

    /// <summary>Forward, loss, backward, clip, update; returns the loss.</summary>
    public static double TrainStep(HookedModel model, AdamW optimizer, Batch batch, double lr, double clip)
    {
        using var scope = NewDisposeScope();
        optimizer.ZeroGrad();
        var loss = Loss(model, batch);
        loss.backward();
        optimizer.ClipGradNorm(clip);
        optimizer.Update(lr);
        return loss.item<float>();
    }

    /// <summary>Mean cross-entropy over the labelled positions (label −100 = none).</summary>
    public static Tensor Loss(HookedModel model, Batch batch)
    {
        var logits = model.Forward(batch.InputTensor()).to(ScalarType.Float32);           // [batch, pos, d_vocab], loss in fp32
        var labels = batch.LabelTensor();                                                  // [batch, pos]
        if (batch.Labels.All(l => l == DataStream.IgnoreIndex)) return (logits.sum() * 0).mean();
        return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), labels.reshape(-1), ignore_index: DataStream.IgnoreIndex);
    }
}
