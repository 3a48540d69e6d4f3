// Core benchmark: a GPT-2-small-shaped (124M) random checkpoint — load time, peak RSS, forward tokens/s (8×128) with
// and without a full cache, and MFU against the fp32/bf16 GEMM rate measured in the same run.
using System.Diagnostics;
using System.Text.Json.Nodes;
using SharpLens.Hooks;
using SharpLens.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Bench;

internal static class CoreBench
{
    public static int Run(string[] args)
    {
        torch.set_num_threads(Environment.ProcessorCount);
        int batch = 8, seq = 128, reps = args.Length > 0 ? int.Parse(args[0]) : 3;
        var dir = Path.Combine(Path.GetTempPath(), "sharplens-bench-gpt2-124m");
        long written = WriteRandomGpt2(dir);
        Console.WriteLine($"checkpoint: {dir} ({written / 1e6:F0} MB f32), threads {torch.get_num_threads()}, rss {Rss.CurrentMiB():F0} MiB");
        var rows = new List<string>();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            double gemm = GemmFlops(dtype);
            var sw = Stopwatch.StartNew();
            using var model = ModelLoader.Load(dir, new LoadOptions { DType = dtype });
            double loadS = sw.Elapsed.TotalSeconds;
            double rssAfterLoad = Rss.CurrentMiB();
            long nParams = model.parameters().Sum(p => p.NumberOfElements);
            var ids = randint(0, model.Info.DVocab, [batch, seq], dtype: ScalarType.Int64);
            using (model.Run(ids)) { }                                     // warm-up
            double plain = Time(reps, () => { using var _ = model.Run(ids); });
            double cached = Time(reps, () => { using var c = model.RunWithCache(ids); });
            double tokens = batch * seq;
            double mfu = 2.0 * nParams * tokens / plain / gemm;
            var row = $"| {dtype} | {nParams / 1e6:F1}M | {loadS:F2} s | {rssAfterLoad:F0} MiB | {Rss.PeakMiB():F0} MiB | {tokens / plain:F0} | {tokens / cached:F0} | {gemm / 1e9:F1} | {mfu * 100:F1}% |";
            Console.WriteLine(row);
            rows.Add(row);
        }
        Console.WriteLine();
        Console.WriteLine("| dtype | params | load | RSS after load | peak RSS (process) | tokens/s (no cache) | tokens/s (full cache) | GEMM GFLOP/s | MFU |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows) Console.WriteLine(r);
        Directory.Delete(dir, true);
        return 0;
    }

    static double Time(int reps, Action a)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) a();
        return sw.Elapsed.TotalSeconds / reps;
    }

    /// <summary>FLOP/s of a 1024×768 · 768×3072 matmul (the MLP shape at batch 8×128) in the given dtype.</summary>
    internal static double GemmFlops(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var a = randn(1024, 768).to(dtype);
        var b = randn(768, 3072).to(dtype);
        for (int i = 0; i < 3; i++) a.matmul(b).Dispose();
        int reps = 20;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) a.matmul(b).Dispose();
        return 2.0 * 1024 * 768 * 3072 * reps / sw.Elapsed.TotalSeconds;
    }

    static long WriteRandomGpt2(string dir)
    {
        Directory.CreateDirectory(dir);
        var config = new JsonObject
        {
            ["model_type"] = "gpt2", ["architectures"] = new JsonArray("GPT2LMHeadModel"), ["vocab_size"] = 50257,
            ["n_positions"] = 1024, ["n_embd"] = 768, ["n_layer"] = 12, ["n_head"] = 12, ["activation_function"] = "gelu_new",
            ["layer_norm_epsilon"] = 1e-5,
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        var arch = ModelLoader.Create(HfConfig.Load(Path.Combine(dir, "config.json")));
        using var model = arch.Model;
        var gen = new Generator(0);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
            {
                if (name.EndsWith(".bias")) p.zero_();
                else if (name.Contains("ln_")) p.fill_(1.0);
                else p.normal_(0, 0.02, gen);
            }
        var path = Path.Combine(dir, "model.safetensors");
        SafeTensorsWriter.Write(path, model.named_parameters().Select(x => (x.name, (Tensor)x.parameter)));
        return new FileInfo(path).Length;
    }
}

/// <summary>Resident memory of this process from /proc/self/status.</summary>
internal static class Rss
{
    public static double CurrentMiB() => Read("VmRSS:");
    public static double PeakMiB() => Read("VmHWM:");
    static double Read(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key)) return long.Parse(line[key.Length..].Trim().Split(' ')[0]) / 1024.0;
        return double.NaN;
    }
}
