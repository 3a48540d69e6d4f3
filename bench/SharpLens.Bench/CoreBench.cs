// Core benchmark: a GPT-2-small-shaped (124M) random checkpoint — load time, peak RSS, forward tokens/s (8×128) with
// and without a full cache, and MFU against the fp32/bf16 GEMM rate measured in the same run.
using System.Diagnostics;
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
        long written = RandomCheckpoint.Write(dir, RandomCheckpoint.Config("gpt2"));
        Console.WriteLine($"checkpoint: {dir} ({written / 1e6:F0} MB f32), threads {torch.get_num_threads()}, rss {Rss.CurrentMiB():F0} MiB");
        var rows = new List<string>();
        // One dtype per process gives clean peak-RSS numbers (freed memory is not always returned to the OS):
        // `core 3 float32`, `core 3 bfloat16`; no dtype runs both in one process.
        var dtypes = args.Length > 1
            ? args.Skip(1).Select(a => a == "bfloat16" ? ScalarType.BFloat16 : a == "float32" ? ScalarType.Float32 : throw new ArgumentException($"dtype must be float32 or bfloat16, found {a}")).ToArray()
            : new[] { ScalarType.Float32, ScalarType.BFloat16 };
        foreach (var dtype in dtypes)
        {
            double gemm = GemmFlops(dtype);
            GC.Collect();
            Rss.ResetPeak();
            var sw = Stopwatch.StartNew();
            using var model = ModelLoader.Load(dir, new LoadOptions { DType = dtype });
            double loadS = sw.Elapsed.TotalSeconds;
            long nParams = model.parameters().Sum(p => p.NumberOfElements);
            var ids = randint(0, model.Info.DVocab, [batch, seq], dtype: ScalarType.Int64);
            double peakLoad = Rss.PeakMiB();
            using (model.Run(ids)) { }                                     // warm-up
            Rss.ResetPeak();
            double plain = Time(reps, () => { using var _ = model.Run(ids); });
            double peakPlain = Rss.PeakMiB();
            Rss.ResetPeak();
            double cached = Time(reps, () => { using var c = model.RunWithCache(ids); });
            double peakCached = Rss.PeakMiB();
            double tokens = batch * seq;
            double mfu = 2.0 * nParams * tokens / plain / gemm;
            var row = $"| {dtype} | {nParams / 1e6:F1}M | {loadS:F2} s | {peakLoad:F0} MiB | {peakPlain:F0} MiB | {peakCached:F0} MiB | {tokens / plain:F0} | {tokens / cached:F0} | {gemm / 1e9:F1} | {mfu * 100:F1}% |";
            Console.WriteLine(row);
            rows.Add(row);
        }
        Console.WriteLine();
        Console.WriteLine("| dtype | params | load | peak RSS: load | peak RSS: forward | peak RSS: forward + full cache | tokens/s (no cache) | tokens/s (full cache) | GEMM GFLOP/s | MFU (no cache) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
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
}

/// <summary>Resident memory of this process from /proc/self/status.</summary>
internal static class Rss
{
    public static double CurrentMiB() => Read("VmRSS:");
    public static double PeakMiB() => Read("VmHWM:");
    /// <summary>Resets the kernel's peak-RSS mark (VmHWM) so each phase reports its own peak.</summary>
    public static void ResetPeak() { try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
    static double Read(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key)) return long.Parse(line[key.Length..].Trim().Split(' ')[0]) / 1024.0;
        return double.NaN;
    }
}
