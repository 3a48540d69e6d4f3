// run.json: how a training run was set up (options, resolved precision and threads, warm-up, corpus), for model cards.
using System.Text.Json;
using SharpLens.Reports;

namespace SharpLens.Training;

/// <summary>Writes <c>run.json</c> into a run's output folder at the start of every session of the run.</summary>
internal static class RunMetadata
{
    public const string FileName = "run.json";

    /// <summary>Writes the metadata atomically.</summary>
    public static void Write(string outDir, TrainOptions o, TokenCache cache, DataStream data, long parameters)
    {
        var m = cache.Manifest;
        var doc = new
        {
            arch = o.Arch, objective = o.Objective.ToString().ToLowerInvariant(), parameters,
            layers = o.Layers, d_model = o.DModel, heads = o.Heads, kv_heads = o.KvHeads, d_mlp = o.DMlp, d_state = o.DState,
            seq_len = o.SeqLen, batch = o.Batch, steps = o.TotalSteps, tokens = o.TotalSteps * o.TokensPerStep,
            lr = o.Lr, min_lr = o.MinLr, warmup = o.Warmup, weight_decay = o.WeightDecay, beta1 = o.Beta1, beta2 = o.Beta2, eps = o.Eps,
            clip = o.Clip, seed = o.Seed, init_std = o.InitStd, init_from = o.InitFrom,
            precision = o.ResolvedPrecision.ToString().ToLowerInvariant(), precision_auto = o.Precision is null,
            cpu_native_bf16 = Nn.Precision.CpuHasNativeBf16,
            threads = o.ResolvedThreads, threads_auto = o.Threads is null,
            procedural = o.Procedural.Select(p => new { kind = p.Kind, fraction = p.Fraction }),
            procedural_schedule = o.ProceduralSchedule.ToString().ToLowerInvariant(),
            procedural_steps = data.ProceduralSteps,
            corpus = new
            {
                manifest_sha256 = cache.ManifestHash, tokens = m.Tokens, sequences_per_epoch = data.Sequences,
                sources = m.Sources.Select(s => new { path = s.Root, glob = s.Glob, weight = s.Weight, files = s.Files, tokens = s.Tokens }),
                held_out_fraction = m.HoldOutFraction, held_out_files = m.HeldOut.Count,
                duplicates = m.Duplicates.Count, excluded_template = m.ExcludedTemplate.Count, not_utf8 = m.Skipped.Count,
            },
        };
        AtomicFile.WriteText(Path.Combine(outDir, FileName), JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
