// Training throughput and MFU per architecture at the default `sharplens train` sizes: `SharpLens.Bench train [steps] [threads]`.
using System.Diagnostics;
using SharpLens.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Bench;

internal static class TrainBench
{
    /// <summary>
    /// For every available arch: 1 warm-up step, then timed steps on random tokens (vocab 4096, seq 256, batch 8; 4
    /// layers, d_model 256, 4 heads, d_state 16). MFU = 6·params·tokens/s ÷ fp32 GEMM FLOP/s (1024³ matmul) measured in
    /// the same process. 6·N·T ignores attention/scan FLOPs, as the usual MFU convention does.
    /// </summary>
    public static int Run(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0]) : 3;
        int threads = args.Length > 1 ? int.Parse(args[1]) : Environment.ProcessorCount;
        torch.set_num_threads(threads);
        double gemm = GemmFlops();
        Console.WriteLine($"fp32 GEMM (1024³, {threads} threads): {gemm / 1e9:F1} GFLOP/s");
        Console.WriteLine("| arch | objective | params | tokens/s | MFU |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        var rng = new SplitMix64(1);
        var tokens = Enumerable.Range(0, 400_000).Select(_ => 3 + rng.NextInt(4093)).ToArray();
        var tok = new TrainTokenizer
        {
            Encode = _ => [], VocabSize = 4096, Hash = "bench", BosId = 0, EosId = 0, PadId = 1, MaskId = 2, SpecialIds = new HashSet<int> { 0, 1, 2 },
        };
        var cache = TokenCache.FromTokens(tokens, "bench");
        foreach (var arch in ModelFactory.Available)
        {
            var objective = arch is "roberta-rope" or "bigs" ? Objective.Mlm : Objective.Clm;
            var o = new TrainOptions { Arch = arch, Objective = objective, SeqLen = 256, Batch = 8, Steps = steps + 1, Threads = threads };
            torch.random.manual_seed(0);
            var archObj = ModelFactory.Create(ModelFactory.Config(o, tok), o.InitStd);
            using var model = archObj.Model;
            model.train();
            using var opt = new AdamW(ModelFactory.Trainable(model), 0.1);
            var data = new DataStream(cache, o.SeqLen, o.Batch, 1, objective, tok);
            Trainer.TrainStep(model, opt, data.BatchAt(0), 1e-4, 1.0);
            var sw = Stopwatch.StartNew();
            for (int s = 1; s <= steps; s++) Trainer.TrainStep(model, opt, data.BatchAt(s), 1e-4, 1.0);
            double tps = steps * o.TokensPerStep / sw.Elapsed.TotalSeconds;
            long n = ModelFactory.ParameterCount(model);
            Console.WriteLine($"| {arch} | {objective.ToString().ToLowerInvariant()} | {n:N0} | {tps:F0} | {6.0 * n * tps / gemm:P1} |");
        }
        return 0;
    }

    static double GemmFlops()
    {
        using var a = randn(1024, 1024);
        using var b = randn(1024, 1024);
        using (a.matmul(b)) { }
        int reps = 10;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) using (a.matmul(b)) { }
        return reps * 2.0 * 1024 * 1024 * 1024 / sw.Elapsed.TotalSeconds;
    }
}
