// peer: SharpLens against PyTorch eager (bench/peers/torch_peer.py) in one invocation, interleaved, one process per run.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Nn;
using static TorchSharp.torch;

namespace SharpLens.Bench;

/// <summary>
/// Usage: <c>peer [--rounds 2] [--reps 2] [--warmup 1] [--threads 2] [--batch 8] [--seq 128] [--shapes gpt2,llama]
/// [--dtypes float32,bfloat16] [--modes forward,cache] [--sides sharplens,pytorch] [--dir /tmp/sharplens-peer]
/// [--out FILE.jsonl]</c>. Every (shape, dtype, mode) runs once per side per round, sides interleaved (A B A B …), each
/// in its own process so peak RSS (VmHWM, reset after loading) is that run's alone. Both sides get the same allocator
/// (Debian's tcmalloc preloaded where installed), threads, tokens and warm-up. A side is <c>pytorch</c> (Debian's
/// python3-torch; skipped with a message when absent), <c>sharplens</c>, or <c>sharplens:-lever:…</c> with fused
/// kernels turned off (<see cref="FusedKernels"/>: attention, norms, gelu, bias), to measure one lever against the others.
/// Prints Markdown ratio tables (the first side ÷ each other side, per round) for docs/benchmarks.md.
/// </summary>
internal static class PeerBench
{
    const string Tcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";

    public static int Run(string[] args)
    {
        string Opt(string name, string def) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : def; }
        string[] List(string name, string def) => Opt(name, def).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int rounds = int.Parse(Opt("--rounds", "2")), reps = int.Parse(Opt("--reps", "2")), warmup = int.Parse(Opt("--warmup", "1"));
        int threads = int.Parse(Opt("--threads", "2")), batch = int.Parse(Opt("--batch", "8")), seq = int.Parse(Opt("--seq", "128"));
        var shapes = List("--shapes", "gpt2,llama");
        var dtypes = List("--dtypes", "float32,bfloat16");
        var modes = List("--modes", "forward,cache");
        var sides = List("--sides", "sharplens,pytorch").ToList();
        var dir = Opt("--dir", "/tmp/sharplens-peer");
        var outPath = Opt("--out", "");
        if (sides.Contains("pytorch") && PeerPython() is null)
        {
            Console.WriteLine("peer skipped: Debian's python3-torch is not installed (apt-get install python3-torch libopenblas0-pthread)");
            sides.Remove("pytorch");
        }
        if (sides.Count == 0) return 0;
        var allocator = File.Exists(Tcmalloc) ? $"tcmalloc ({Tcmalloc}) for every side" : "system malloc for every side (tcmalloc not installed)";
        Console.WriteLine($"sides {string.Join(" | ", sides)}; {rounds} rounds × {reps} timed reps after {warmup} warm-up; batch {batch} × {seq}; " +
            $"{threads} threads; {allocator}; load average at start {LoadAverage()}");
        foreach (var shape in shapes)
            if (sides.Any(s => s.StartsWith("sharplens")))
            {
                long bytes = RandomCheckpoint.Write(Path.Combine(dir, shape), RandomCheckpoint.Config(shape));
                Console.WriteLine($"checkpoint {Path.Combine(dir, shape)}: {bytes / 1e6:F0} MB float32");
            }
        var results = new List<JsonObject>();
        using var log = outPath.Length > 0 ? new StreamWriter(outPath) : null;
        for (int r = 0; r < rounds; r++)
            foreach (var shape in shapes)
                foreach (var dtype in dtypes)
                    foreach (var mode in modes)
                        foreach (var side in sides)
                        {
                            var common = new[] { "--shape", shape, "--dtype", dtype, "--mode", mode, "--reps", $"{reps}", "--warmup", $"{warmup}",
                                "--threads", $"{threads}", "--batch", $"{batch}", "--seq", $"{seq}" };
                            var json = side == "pytorch"
                                ? Child(PeerPython()!, [PeerScript(), .. common.Select(a => a == "--shape" ? "--arch" : a)], threads, peer: true)
                                : Child(Environment.ProcessPath!, [.. SelfArgs(), "peer-run", "--side", side, "--dir", Path.Combine(dir, shape), .. common], threads, peer: false);
                            if (json is null) continue;
                            json["side"] = side;
                            json["round"] = r;
                            json["load_average"] = LoadAverage();
                            results.Add(json);
                            var line = json.ToJsonString();
                            Console.WriteLine(line);
                            log?.WriteLine(line);
                            log?.Flush();
                        }
        Console.WriteLine();
        Console.WriteLine(Table(results, sides, shapes, dtypes, modes));
        return 0;
    }

    /// <summary>Markdown tables, the first side against each other side: per (shape, dtype, mode), each side's tokens/s and
    /// peak RSS (min–max over rounds) and the ratios computed round by round. Tokens per CPU-second (the timed reps'
    /// process CPU time; both sides time the same tokens) is less disturbed by other jobs than wall time, but counts
    /// threads spinning at barriers.</summary>
    static string Table(List<JsonObject> results, List<string> sides, string[] shapes, string[] dtypes, string[] modes)
    {
        if (sides.Count < 2) return "(one side: no ratios)";
        return string.Join(Environment.NewLine, sides.Skip(1).Select(b => Table(results, sides[0], b, shapes, dtypes, modes)));
    }

    static string Table(List<JsonObject> results, string a, string b, string[] shapes, string[] dtypes, string[] modes)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"| shape | dtype | run | {a} tokens/s | {b} tokens/s | speed {a} ÷ {b} | tokens/CPU-s {a} ÷ {b} | {a} peak RSS | {b} peak RSS | RSS {a} ÷ {b} |");
        sb.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var shape in shapes)
            foreach (var dtype in dtypes)
                foreach (var mode in modes)
                {
                    JsonObject? Find(string side, int round) => results.FirstOrDefault(j =>
                        (string?)j["side"] == side && (int)j["round"]! == round && (string?)j["arch"] == shape && (string?)j["dtype"] == dtype && (string?)j["mode"] == mode);
                    var roundsSeen = results.Select(j => (int)j["round"]!).Distinct().OrderBy(x => x).ToList();
                    var pairs = roundsSeen.Select(r => (A: Find(a, r), B: Find(b, r))).Where(p => p.A is not null && p.B is not null).ToList();
                    if (pairs.Count == 0) continue;
                    double V(JsonObject j, string k) => (double)j[k]!;
                    sb.AppendLine($"| {shape} | {dtype} | {(mode == "cache" ? "forward + full cache" : "forward")} " +
                        $"| {Range(pairs.Select(p => V(p.A!, "tokens_per_s")), "F0")} | {Range(pairs.Select(p => V(p.B!, "tokens_per_s")), "F0")} " +
                        $"| {Range(pairs.Select(p => V(p.A!, "tokens_per_s") / V(p.B!, "tokens_per_s")), "F2")}× " +
                        $"| {Range(pairs.Select(p => V(p.B!, "cpu_s") / V(p.A!, "cpu_s")), "F2")}× " +
                        $"| {Range(pairs.Select(p => V(p.A!, "peak_rss_mib")), "F0")} MiB | {Range(pairs.Select(p => V(p.B!, "peak_rss_mib")), "F0")} MiB " +
                        $"| {Range(pairs.Select(p => V(p.A!, "peak_rss_mib") / V(p.B!, "peak_rss_mib")), "F2")}× |");
                }
        return sb.ToString();
    }

    static string Range(IEnumerable<double> xs, string format)
    {
        var l = xs.ToList();
        string lo = l.Min().ToString(format, CultureInfo.InvariantCulture), hi = l.Max().ToString(format, CultureInfo.InvariantCulture);
        return lo == hi ? lo : $"{lo}–{hi}";
    }

    /// <summary>Runs one measurement process and returns its last stdout line as JSON (null, with a message, on failure).</summary>
    static JsonObject? Child(string exe, string[] argv, int threads, bool peer)
    {
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv) psi.ArgumentList.Add(a);
        if (File.Exists(Tcmalloc)) psi.Environment["LD_PRELOAD"] = Tcmalloc;
        psi.Environment["OMP_NUM_THREADS"] = $"{threads}";
        if (peer)
        {
            // OpenBLAS picks its own kernels and cache sizes for the peer; overrides meant for other jobs are not inherited.
            psi.Environment.Remove("OPENBLAS_CORETYPE");
            psi.Environment.Remove("OPENBLAS_L2_SIZE");
        }
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (p.StandardOutput.ReadLine() is string line) lines.Add(line);
        p.WaitForExit();
        var last = lines.LastOrDefault(l => l.StartsWith('{'));
        if (p.ExitCode != 0 || last is null)
        {
            Console.WriteLine($"run failed (exit {p.ExitCode}): {exe} {string.Join(' ', argv)}\n{stderr.Result.Trim()}");
            return null;
        }
        return JsonNode.Parse(last)!.AsObject();
    }

    /// <summary>The arguments that start this benchmark again (`dotnet SharpLens.Bench.dll` passes the assembly).</summary>
    static string[] SelfArgs() =>
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [Environment.GetCommandLineArgs()[0]] : [];

    /// <summary>Debian's python3 with its torch (SHARPLENS_PEER_PYTHON overrides), or null when torch does not import.</summary>
    static string? PeerPython()
    {
        var exe = Environment.GetEnvironmentVariable("SHARPLENS_PEER_PYTHON") ?? "/usr/bin/python3";
        if (!File.Exists(exe)) return null;
        try
        {
            using var p = Process.Start(new ProcessStartInfo(exe, ["-c", "import torch"]) { UseShellExecute = false, RedirectStandardError = true })!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? exe : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    /// <summary>FLOP/s of the MLP-shaped GEMM (1024×768 · 768×3072, as <see cref="CoreBench.GemmFlops"/>) by wall clock and per
    /// CPU-second of this process.</summary>
    static (double Wall, double Cpu) Gemm(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var a = randn(1024, 768).to(dtype);
        var b = randn(768, 3072).to(dtype);
        for (int i = 0; i < 3; i++) a.matmul(b).Dispose();
        int reps = 20;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) a.matmul(b).Dispose();
        double flops = 2.0 * 1024 * 768 * 3072 * reps;
        return (flops / sw.Elapsed.TotalSeconds, flops / (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds);
    }

    /// <summary>bench/peers/torch_peer.py above the working directory or above this binary (a copied binary runs from the repository root).</summary>
    static string PeerScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var f = Path.Combine(d.FullName, "bench", "peers", "torch_peer.py");
                if (File.Exists(f)) return f;
            }
        throw new FileNotFoundException("bench/peers/torch_peer.py not found above the working directory or " + AppContext.BaseDirectory);
    }

    static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    /// <summary>
    /// <c>peer-run --side sharplens[:-lever…] --dir DIR --shape S --dtype D --mode forward|cache …</c>: one SharpLens
    /// measurement, printed as one JSON line (the same fields as the peer script's).
    /// </summary>
    public static int RunSide(string[] args)
    {
        string Opt(string name, string def) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : def; }
        var side = Opt("--side", "sharplens");
        foreach (var lever in side.Split(':').Skip(1))
            switch (lever)
            {
                case "-attention": FusedKernels.Attention = false; break;
                case "-norms": FusedKernels.Norms = false; break;
                case "-gelu": FusedKernels.Gelu = false; break;
                case "-bias": FusedKernels.Bias = false; break;
                default: throw new ArgumentException($"unknown lever '{lever}' (-attention, -norms, -gelu, -bias)");
            }
        var dir = Opt("--dir", "");
        string shape = Opt("--shape", "gpt2"), mode = Opt("--mode", "forward");
        var dtype = Opt("--dtype", "float32") switch
        {
            "float32" => ScalarType.Float32, "bfloat16" => ScalarType.BFloat16, var x => throw new ArgumentException($"dtype must be float32 or bfloat16, found {x}"),
        };
        int reps = int.Parse(Opt("--reps", "2")), warmup = int.Parse(Opt("--warmup", "1")), threads = int.Parse(Opt("--threads", "2"));
        int batch = int.Parse(Opt("--batch", "8")), seq = int.Parse(Opt("--seq", "128"));
        // Diagnostics only (never in a peer comparison): --without SITE,… leaves those sites out of the full cache.
        var without = Opt("--without", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        var filter = without.Length == 0 ? HookFilter.All
            : HookFilter.Where(n => !without.Any(w => n.Site.Path.EndsWith(w, StringComparison.Ordinal)), "all but " + string.Join(",", without));
        set_num_threads(threads);
        manual_seed(0);
        var (gemm, gemmCpu) = mode == "forward" ? Gemm(dtype) : (double.NaN, double.NaN);
        using var model = ModelLoader.Load(dir, new LoadOptions { DType = dtype });
        long nParams = model.parameters().Sum(p => p.NumberOfElements);
        double rssLoaded = Rss.CurrentMiB();
        var ids = randint(0, model.Info.DVocab, [batch, seq], dtype: ScalarType.Int64);
        Rss.ResetPeak();
        var times = new List<double>();
        int nCached = 0;
        long cachedBytes = 0;
        var cpu0 = TimeSpan.Zero;
        for (int i = 0; i < warmup + reps; i++)
        {
            if (i == warmup) cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            if (mode == "cache")
            {
                using var cache = model.RunWithCache(ids, filter);
                sw.Stop();
                nCached = cache.Count + 1;
                cachedBytes = cache.Names.Sum(n => cache[n].NumberOfElements * cache[n].ElementSize) + cache.Logits!.NumberOfElements * cache.Logits.ElementSize;
            }
            else
            {
                using var logits = model.Run(ids);
                sw.Stop();
            }
            if (i >= warmup) times.Add(sw.Elapsed.TotalSeconds);
        }
        double cpuS = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        double tokensPerS = batch * seq / times.Average();
        var json = new JsonObject
        {
            ["side"] = side, ["version"] = typeof(HookedModel).Assembly.GetName().Version?.ToString(), ["arch"] = shape,
            ["dtype"] = Opt("--dtype", "float32"), ["mode"] = mode, ["params"] = nParams, ["threads"] = get_num_threads(),
            ["tokens"] = batch * seq, ["times_s"] = new JsonArray(times.Select(t => (JsonNode)t).ToArray()), ["tokens_per_s"] = tokensPerS, ["cpu_s"] = cpuS,
            ["rss_loaded_mib"] = rssLoaded, ["peak_rss_mib"] = Rss.PeakMiB(), ["cached_tensors"] = nCached, ["cached_bytes"] = cachedBytes,
        };
        if (mode == "forward")
        {
            // MFU = 2·params·tokens/s ÷ the GEMM rate, by wall clock and by process CPU time (the latter less disturbed
            // by other jobs: both the forward and the GEMM are charged only for the CPU they got).
            json["gemm_gflops"] = gemm / 1e9;
            json["mfu"] = 2.0 * nParams * tokensPerS / gemm;
            json["gemm_gflops_cpu"] = gemmCpu / 1e9;
            json["mfu_cpu"] = 2.0 * nParams * batch * seq * reps / cpuS / gemmCpu;
        }
        Console.WriteLine(json.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        return 0;
    }
}
