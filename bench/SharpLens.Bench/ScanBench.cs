// Selective-scan benchmark: forward + backward of the chunked scan per chunk length against the sequential reference,
// at the `train` bench's Mamba shape: `SharpLens.Bench scan [reps] [threads] [seq,chunk,chunk,…]`. CPU ms (the process's
// CPU time) is less disturbed than wall time on a shared machine.
using System.Diagnostics;
using SharpLens.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Bench;

internal static class ScanBench
{
    /// <summary>batch 8, seq 256, d_inner 512, d_state 16 (the Mamba of `train` at d_model 256); HF-style A and Δ.</summary>
    public static int Run(string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0]) : 3;
        int threads = args.Length > 1 ? int.Parse(args[1]) : Environment.ProcessorCount;
        var kinds = (args.Length > 2 ? args[2] : "1,4,8,16,32,64").Split(',');          // chunk lengths; "seq" = the sequential reference
        torch.set_num_threads(threads);
        long batch = 8, pos = 256, dInner = 512, dState = 16;
        torch.random.manual_seed(0);
        var u = randn(batch, pos, dInner).requires_grad_();
        var dt = nn.functional.softplus(randn(batch, pos, dInner) - 3).requires_grad_();
        var a = -arange(1, dState + 1, dtype: ScalarType.Float32).repeat(dInner, 1);
        var b = randn(batch, pos, dState).requires_grad_();
        var c = randn(batch, pos, dState).requires_grad_();
        Console.WriteLine($"scan forward+backward, [{batch}, {pos}, {dInner}, {dState}], {threads} threads, best of {reps}");
        Console.WriteLine("| scan | wall ms | CPU ms | tokens/s (wall) |");
        Console.WriteLine("|---|---:|---:|---:|");
        var variants = kinds.Select(k => k == "seq"
            ? ("sequential", (Func<ScanResult>)(() => SelectiveScan.RunSequential(u, dt, a, b, c, false)))
            : ($"chunked {k}", () => SelectiveScan.RunChunked(u, dt, a, b, c, false, int.Parse(k))));
        foreach (var (name, scan) in variants)
        {
            double best = double.MaxValue, bestCpu = double.MaxValue;
            var proc = Process.GetCurrentProcess();
            for (int r = 0; r <= reps; r++)                                                  // the first run warms up
            {
                using var scope = NewDisposeScope();
                proc.Refresh();
                var cpu0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                scan().Y.sum().backward();
                proc.Refresh();
                if (r > 0) (best, bestCpu) = (Math.Min(best, sw.Elapsed.TotalMilliseconds), Math.Min(bestCpu, (proc.TotalProcessorTime - cpu0).TotalMilliseconds));
                foreach (var t in new[] { u, dt, b, c }) t.grad?.zero_();
            }
            Console.WriteLine($"| {name} | {best:F0} | {bestCpu:F0} | {batch * pos / (best / 1000):F0} |");
        }
        return 0;
    }
}
