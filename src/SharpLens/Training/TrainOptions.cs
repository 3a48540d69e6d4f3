// Options of one training run: architecture and sizes, objective, data, budget, optimiser, schedule, checkpointing.
namespace SharpLens.Training;

/// <summary>Arithmetic of a run: fp32 throughout, or bf16 matrix products over fp32 master weights (see Nn.Precision).</summary>
public enum TrainPrecision { Fp32, Bf16 }

/// <summary>The training objective: next-token prediction (clm) or BERT-style masked tokens (mlm).</summary>
public enum Objective { Clm, Mlm }

/// <summary>
/// Everything that defines a run. Two runs with equal <see cref="Seed"/>, corpus, tokenizer, <see cref="SeqLen"/>,
/// <see cref="Batch"/> and budget see the same token stream whatever the architecture (identical conditions).
/// </summary>
public sealed record TrainOptions
{
    /// <summary>llama, gpt2, roberta-rope, bigs or mamba.</summary>
    public required string Arch { get; init; }
    public Objective Objective { get; init; } = Objective.Clm;
    public int Layers { get; init; } = 4;
    public int DModel { get; init; } = 256;
    public int Heads { get; init; } = 4;
    /// <summary>Key/value heads (llama); null = <see cref="Heads"/>.</summary>
    public int? KvHeads { get; init; }
    /// <summary>MLP width; null = the architecture's usual ratio (llama: 8/3·d_model rounded up to 16; others 4·d_model).</summary>
    public int? DMlp { get; init; }
    /// <summary>SSM state size (mamba d_state, bigs num S4D modes).</summary>
    public int DState { get; init; } = 16;
    public int SeqLen { get; init; } = 256;
    /// <summary>bigs only, CodeSSM-HF: kernel size of the parallel short convolution beside each S4D branch (null: none).</summary>
    public int? ConvKernel { get; init; }
    /// <summary>bigs only, CodeSSM-HF: how the convolution joins the S4D branch: sum | gate.</summary>
    public string ConvMerge { get; init; } = "sum";
    public int Batch { get; init; } = 16;
    /// <summary>Token budget (batch·seq_len per step); used when <see cref="Steps"/> is null.</summary>
    public long? Tokens { get; init; }
    /// <summary>Step budget; takes precedence over <see cref="Tokens"/>.</summary>
    public int? Steps { get; init; }
    public double Lr { get; init; } = 1e-3;
    public double MinLr { get; init; } = 1e-4;
    public int Warmup { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Eps { get; init; } = 1e-8;
    /// <summary>Global gradient-norm clip (0 = off).</summary>
    public double Clip { get; init; } = 1.0;
    public long Seed { get; init; } = 1234;
    /// <summary>Checkpoint every N steps (0 = only at the end and on a stop request).</summary>
    public int CheckpointEvery { get; init; } = 200;
    /// <summary>Standard deviation of the normal initialisation (HF initializer_range).</summary>
    public double InitStd { get; init; } = 0.02;
    /// <summary>Save a loadable snapshot (bf16 weights, config, tokenizer) to OUT/snapshots/step_NNNNNN every N steps (0 = none).</summary>
    public int SnapshotEvery { get; init; }
    /// <summary>Write a log row every N steps (the row holds the mean loss since the previous row).</summary>
    public int LogEvery { get; init; } = 1;
    /// <summary>
    /// Start from the weights of this HF folder (same architecture and sizes) instead of a random initialisation:
    /// continued pretraining with a fresh optimiser and schedule (use another --seed for a new data order).
    /// </summary>
    public string? InitFrom { get; init; }
    /// <summary>Torch intra-op threads (null = <see cref="AutoThreads"/>). Bit-exact resume needs the same count.</summary>
    public int? Threads { get; init; }
    /// <summary>Matrix-product precision (null = <see cref="DefaultPrecision"/>: bf16 where the CPU has native bf16 products).</summary>
    public TrainPrecision? Precision { get; init; }
    /// <summary>Procedural warm-up kinds and fractions of the steps, front-loaded before the corpus (empty = none).</summary>
    public IReadOnlyList<ProceduralMix> Procedural { get; init; } = [];
    /// <summary>
    /// Storage of the exported model.safetensors: fp32 (the master weights) or bf16 (half the size; the weights are rounded
    /// to bf16 before the reference is computed, so <c>verify</c> checks what ships). Not part of the run's identity.
    /// </summary>
    public bool ExportBf16 { get; init; }
    /// <summary>Front-load the procedural sequences (a warm-up) or spread them evenly through the run.</summary>
    public ProceduralSchedule ProceduralSchedule { get; init; } = ProceduralSchedule.Front;

    /// <summary>The precision the run uses.</summary>
    public TrainPrecision ResolvedPrecision => Precision ?? DefaultPrecision;

    /// <summary>The thread count the run uses.</summary>
    public int ResolvedThreads => Threads ?? AutoThreads;

    /// <summary>bf16 when the CPU multiplies bf16 natively, else fp32.</summary>
    public static TrainPrecision DefaultPrecision => SharpLens.Nn.Precision.CpuHasNativeBf16 ? TrainPrecision.Bf16 : TrainPrecision.Fp32;

    /// <summary>The CPUs this process may run on (affinity and container CPU limits, as .NET reports them).</summary>
    public static int AutoThreads => Math.Max(1, Environment.ProcessorCount);

    /// <summary>Longest training sequence.</summary>
    public const int MaxSeqLen = 1 << 16;
    /// <summary>Most sequences per step.</summary>
    public const int MaxBatch = 1 << 16;

    /// <summary>Tokens consumed by one optimiser step.</summary>
    public long TokensPerStep => (long)Batch * SeqLen;

    /// <summary>The number of optimiser steps of the run.</summary>
    public int TotalSteps => Steps ?? (int)Math.Max(1, (Tokens ?? throw new ArgumentException("a budget is required: --tokens N or --steps N")) / TokensPerStep);

    /// <summary>Throws with the offending option when a value cannot work.</summary>
    public void Validate()
    {
        void Need(bool ok, string what) { if (!ok) throw new ArgumentException(what); }
        void Range(long value, long min, long max, string option) =>
            Need(value >= min && value <= max, $"{option} must be in [{min}, {max}], found {value}");
        Range(Layers, 1, SharpLens.Loading.InputLimits.MaxLayers, "--layers");
        Range(DModel, 1, SharpLens.Loading.InputLimits.MaxWidth, "--d-model");
        Range(Heads, 1, SharpLens.Loading.InputLimits.MaxHeads, "--heads");
        Need(DModel % Heads == 0, $"--d-model ({DModel}) must be a multiple of --heads ({Heads})");
        Need(KvHeads is null || (KvHeads >= 1 && Heads % KvHeads == 0), $"--heads ({Heads}) must be a multiple of --kv-heads ({KvHeads})");
        if (DMlp is int mlp) Range(mlp, 1, SharpLens.Loading.InputLimits.MaxWidth, "--d-mlp");
        Range(DState, 1, SharpLens.Loading.InputLimits.MaxSmall, "--d-state");
        Range(SeqLen, 2, MaxSeqLen, "--seq-len");
        Range(Batch, 1, MaxBatch, "--batch");
        // One step's activations (about a dozen d_model-wide tensors per layer and position, fp32) must fit in memory.
        double activations = 12.0 * Layers * Batch * SeqLen * Math.Max(DModel, DMlp ?? 4 * DModel) * 4;
        Need(activations <= SharpLens.Loading.InputLimits.AvailableMemoryBytes,
            $"one step of --batch {Batch} × --seq-len {SeqLen} × --layers {Layers} × width {Math.Max(DModel, DMlp ?? 4 * DModel)} needs about " +
            $"{activations / (double)(1L << 30):0.#} GiB of activations, more than this machine's {SharpLens.Loading.InputLimits.AvailableMemoryBytes / (double)(1L << 30):0.#} GiB");
        Need(Steps is null or >= 1, $"--steps must be ≥ 1, found {Steps}");
        Need(Steps is not null || Tokens is >= 1, "a budget is required: --tokens N (≥ 1) or --steps N");
        Need(Lr > 0 && MinLr >= 0 && MinLr <= Lr, $"need 0 ≤ --min-lr ≤ --lr and --lr > 0, found lr {Lr}, min-lr {MinLr}");
        Need(Warmup >= 0, $"--warmup must be ≥ 0, found {Warmup}");
        Need(Clip >= 0, $"--clip must be ≥ 0, found {Clip}");
        Need(ConvKernel is null || (Arch == "bigs" && ConvKernel >= 1), $"--conv-kernel needs --arch bigs and a size ≥ 1, found {ConvKernel} with --arch {Arch}");
        Need(ConvMerge is "sum" or "gate", $"--conv-merge must be sum or gate, found '{ConvMerge}'");
        Need(SnapshotEvery >= 0, $"--snapshot-every must be ≥ 0, found {SnapshotEvery}");
        Need(Threads is null or >= 1, $"--threads must be ≥ 1 or auto, found {Threads}");
        Need(Procedural.Sum(m => m.Fraction) < 1, "--procedural fractions must add up to less than 1");
    }
}
