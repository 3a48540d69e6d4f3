// Training throughput and MFU per architecture at the default `sharplens train` sizes: `SharpLens.Bench train [steps] [threads]`.
using System.Diagnostics;
using SharpLens.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Bench;

internal static class TrainBench
{
    /// <summary>
    /// <c>train [steps] [threads,…] [precision,…] [arch,…]</c> (defaults: 3, the CPU count, "fp32,bf16", every arch).
    /// For every arch × threads × precision: 1 warm-up step, then timed steps on random tokens (vocab 4096, seq 256,
    /// batch 8; 4 layers, d_model 256, 4 heads, d_state 16). MFU = 6·params·tokens/s ÷ the GEMM FLOP/s (1024³ matmul) of
    /// the same dtype and thread count measured in the same process; 6·N·T ignores attention/scan FLOPs, as the usual
    /// MFU convention does. bf16 means bf16 products over fp32 master weights (Nn.Precision), as `train --precision bf16`.
    /// tokens/CPU-s divides by the process's CPU time, which a busy machine disturbs less than wall time. Flags pick
    /// Mamba's scan: <c>--sequential-scan</c> (the reference, for before/after) or <c>--scan-chunk=N</c>.
    /// </summary>
    public static int Run(string[] args)
    {
        SharpLens.Nn.SelectiveScan.UseSequential = args.Contains("--sequential-scan");
        if (args.FirstOrDefault(a => a.StartsWith("--scan-chunk=")) is { } chunk) SharpLens.Nn.SelectiveScan.ChunkSize = int.Parse(chunk["--scan-chunk=".Length..]);
        args = args.Where(a => !a.StartsWith("--")).ToArray();
        int steps = args.Length > 0 ? int.Parse(args[0]) : 3;
        var threadCounts = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [Environment.ProcessorCount];
        var precisions = (args.Length > 2 ? args[2] : "fp32,bf16").Split(',')
            .Select(p => p switch { "fp32" => TrainPrecision.Fp32, "bf16" => TrainPrecision.Bf16, _ => throw new ArgumentException($"precision {p}") }).ToArray();
        var archs = args.Length > 3 ? args[3].Split(',') : ModelFactory.Available.ToArray();
        Console.WriteLine($"CPU native bf16 products: {SharpLens.Nn.Precision.CpuHasNativeBf16}");
        var gemm = new Dictionary<(int, TrainPrecision), double>();
        foreach (var t in threadCounts)
            foreach (var p in precisions)
            {
                torch.set_num_threads(t);
                gemm[(t, p)] = GemmFlops(p == TrainPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32);
                Console.WriteLine($"GEMM 1024³ {p.ToString().ToLowerInvariant()}, {t} thread{(t == 1 ? "" : "s")}: {gemm[(t, p)] / 1e9:F1} GFLOP/s");
            }
        Console.WriteLine("| arch | objective | params | threads | precision | tokens/s | tokens/CPU-s | MFU |");
        Console.WriteLine("|---|---|---:|---:|---|---:|---:|---:|");
        var rng = new SplitMix64(1);
        var tokens = Enumerable.Range(0, 400_000).Select(_ => 3 + rng.NextInt(4093)).ToArray();
        var tok = new TrainTokenizer
        {
            Encode = _ => [], VocabSize = 4096, Hash = "bench", BosId = 0, EosId = 0, PadId = 1, MaskId = 2, SpecialIds = new HashSet<int> { 0, 1, 2 },
        };
        var cache = TokenCache.FromTokens(tokens, "bench");
        foreach (var archSpec in archs)                             // "mamba@7": that arch with 7 layers (e.g. to match parameter counts)
            foreach (var threads in threadCounts)
                foreach (var precision in precisions)
                {
                    torch.set_num_threads(threads);
                    var arch = archSpec.Split('@')[0];
                    int layers = archSpec.Contains('@') ? int.Parse(archSpec.Split('@')[1]) : 4;
                    var objective = arch is "roberta-rope" or "bigs" ? Objective.Mlm : Objective.Clm;
                    var o = new TrainOptions { Arch = arch, Objective = objective, Layers = layers, SeqLen = 256, Batch = 8, Steps = steps + 1, Threads = threads, Precision = precision };
                    torch.random.manual_seed(0);
                    var archObj = ModelFactory.Create(ModelFactory.Config(o, tok), o.InitStd);
                    using var model = archObj.Model;
                    model.train();
                    using var opt = new AdamW(ModelFactory.Trainable(model), 0.1);
                    var data = new DataStream(cache, o.SeqLen, o.Batch, 1, objective, tok);
                    using var scope = SharpLens.Nn.Precision.Use(precision == TrainPrecision.Bf16 ? ScalarType.BFloat16 : null);
                    Trainer.TrainStep(model, opt, data.BatchAt(0), 1e-4, 1.0);
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    for (int s = 1; s <= steps; s++) Trainer.TrainStep(model, opt, data.BatchAt(s), 1e-4, 1.0);
                    double tps = steps * o.TokensPerStep / sw.Elapsed.TotalSeconds;
                    double cpuS = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                    long n = ModelFactory.ParameterCount(model);
                    Console.WriteLine($"| {archSpec} | {objective.ToString().ToLowerInvariant()} | {n:N0} | {threads} | {precision.ToString().ToLowerInvariant()} | {tps:F0} | {steps * o.TokensPerStep / cpuS:F0} | {6.0 * n * tps / gemm[(threads, precision)]:P1} |");
                }
        return 0;
    }

    static double GemmFlops(ScalarType dtype)
    {
        using var a = randn(1024, 1024).to(dtype);
        using var b = randn(1024, 1024).to(dtype);
        using (a.matmul(b)) { }
        int reps = 10;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) using (a.matmul(b)) { }
        return reps * 2.0 * 1024 * 1024 * 1024 / sw.Elapsed.TotalSeconds;
    }
}
