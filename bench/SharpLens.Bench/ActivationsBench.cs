// activations: a CachePlan's rows for N prompts streamed to safetensors chunks (ActivationDatasetWriter); rate and peak RSS.
using System.Diagnostics;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Bench;

/// <summary>
/// Usage: <c>activations [--model models/sharplens-py-small] [--prompts 10000] [--batch 32] [--max-tokens 128]
/// [--sites resid_post] [--positions all|last] [--dtype bfloat16|float32] [--chunk-mb 256] [--threads 2]
/// [--source /usr/lib/python3.11] [--out /tmp/sharplens-activations] [--baseline-batches 20] [--keep]</c>. Prompts are consecutive 12-line
/// windows of the source folder's <c>*.py</c> files (ordinal path order), tokenized by the model's tokenizer, cut at
/// max-tokens and right-padded per batch. Peak RSS is VmHWM, reset after loading the model and tokenizing.
/// </summary>
internal static class ActivationsBench
{
    public static int Run(string[] args)
    {
        string Opt(string name, string def) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : def; }
        var modelDir = Opt("--model", Path.Combine(RepoRoot(), "models", "sharplens-py-small"));
        int nPrompts = int.Parse(Opt("--prompts", "10000")), batch = int.Parse(Opt("--batch", "32")), maxTokens = int.Parse(Opt("--max-tokens", "128"));
        var sites = Opt("--sites", "resid_post").Split(',').Select(s => s.Trim()).ToArray();
        var positions = Opt("--positions", "all") == "last" ? CachePositions.Last : CachePositions.All;
        var dtype = Opt("--dtype", "bfloat16") == "float32" ? ScalarType.Float32 : ScalarType.BFloat16;
        long chunkBytes = long.Parse(Opt("--chunk-mb", "256")) << 20;
        var outDir = Opt("--out", "/tmp/sharplens-activations");
        set_num_threads(int.Parse(Opt("--threads", "2")));

        using var model = ModelLoader.Load(modelDir);
        var tok = Tokenizer.Load(modelDir);
        var texts = Prompts(Opt("--source", "/usr/lib/python3.11"), nPrompts);
        if (texts.Count < nPrompts) Console.WriteLine($"only {texts.Count} prompts in the source folder");
        var plan = new CachePlan
        {
            Hooks = HookFilter.Where(n => sites.Any(s => n.Site.Path == "hook_" + s || n.Site.Path.EndsWith("." + "hook_" + s) || n.Site.Path == s), string.Join(",", sites)),
            Positions = positions, DType = dtype,
        };
        var names = plan.Select(model);
        if (Directory.Exists(outDir)) Directory.Delete(outDir, true);
        var batches = texts.Chunk(batch).Select(c => tok.EncodeBatch(c, maxLength: maxTokens)).ToList();
        Console.WriteLine($"model {modelDir} ({model.Info.Architecture}, {model.Info.NLayers} layers, d_model {model.Info.DModel}); " +
            $"{texts.Count} prompts in {batches.Count} batches of {batch}, ≤ {maxTokens} tokens; {names.Count} hooks ({plan.Hooks.Description}), " +
            $"positions {positions}, {dtype}, chunks of {chunkBytes >> 20} MiB; threads {get_num_threads()}; load average {LoadAverage()}");
        // Baseline: plain forward passes (no hooks, logits freed) over the first batches, for the cost of recording and writing.
        int baseBatches = Math.Min(int.Parse(Opt("--baseline-batches", "20")), batches.Count);
        var swBase = Stopwatch.StartNew();
        long baseTokens = 0;
        foreach (var b in batches.Take(baseBatches))
        {
            using var scope = NewDisposeScope();
            var ids = tensor(b.Ids.SelectMany(r => r.Select(i => (long)i)).ToArray()).reshape(b.Ids.Length, b.Ids[0].Length);
            var mask = tensor(b.AttentionMask.SelectMany(r => r.Select(i => (long)i)).ToArray()).reshape(ids.shape);
            model.Run(ids, mask).Dispose();
            baseTokens += b.AttentionMask.Sum(r => r.Sum());
        }
        double baseRate = baseTokens / swBase.Elapsed.TotalSeconds;
        GC.Collect();
        double rssStart = Rss.CurrentMiB();
        Rss.ResetPeak();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        ActivationDatasetInfo info;
        using (var writer = new ActivationDatasetWriter(outDir, plan, chunkBytes))
        {
            foreach (var b in batches)
            {
                using var scope = NewDisposeScope();
                var ids = tensor(b.Ids.SelectMany(r => r.Select(i => (long)i)).ToArray()).reshape(b.Ids.Length, b.Ids[0].Length);
                var mask = tensor(b.AttentionMask.SelectMany(r => r.Select(i => (long)i)).ToArray()).reshape(ids.shape);
                writer.Add(model, ids, mask);
            }
            info = writer.Complete();
        }
        double wall = sw.Elapsed.TotalSeconds, cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        double peak = Rss.PeakMiB();
        long values = info.Hooks.Values.Sum(s => s.Aggregate(1L, (a, x) => a * x)) * info.Rows;
        long onDisk = info.Chunks.Sum(c => new FileInfo(Path.Combine(outDir, c.File)).Length);
        Console.WriteLine($"| prompts | rows (tokens) | hooks | dtype | chunks | on disk | wall | CPU | rows/s | activations/s | MB/s | RSS before | peak RSS |");
        Console.WriteLine($"|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| {info.Prompts:N0} | {info.Rows:N0} | {info.Hooks.Count} | {info.DType} | {info.Chunks.Count} | {onDisk / 1e6:F0} MB | {wall:F1} s | {cpu:F1} s " +
            $"| {info.Rows / wall:N0} | {values / wall / 1e6:F2} M | {info.Bytes / wall / 1e6:F1} | {rssStart:F0} MiB | {peak:F0} MiB |");
        Console.WriteLine($"plain forward (no hooks) over the first {baseBatches} batches: {baseRate:N0} real tokens/s, against {info.Rows / wall:N0} rows/s recorded and written");
        long cells = batches.Sum(b => (long)b.Ids.Length * b.Ids[0].Length);
        Console.WriteLine($"padding: {cells - info.Rows:N0} of {cells:N0} batch cells ({100.0 * (cells - info.Rows) / cells:F1} %), not stored; " +
            $"the same hooks for every prompt kept in memory as RunWithCache keeps them (float32, padding included) would be {values / info.Rows * cells * 4 / 1e6:F0} MB; " +
            $"load average at end {LoadAverage()}");
        if (!args.Contains("--keep")) Directory.Delete(outDir, true);
        return 0;
    }

    /// <summary>Consecutive 12-line windows (non-blank) of the folder's *.py files in ordinal path order.</summary>
    static List<string> Prompts(string root, int n)
    {
        var result = new List<string>(n);
        foreach (var f in Directory.EnumerateFiles(root, "*.py", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string[] lines;
            try { lines = File.ReadAllLines(f); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
            for (int i = 0; i + 12 <= lines.Length && result.Count < n; i += 12)
            {
                var text = string.Join("\n", lines.Skip(i).Take(12));
                if (!string.IsNullOrWhiteSpace(text)) result.Add(text);
            }
            if (result.Count >= n) break;
        }
        return result;
    }

    static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SharpLens.slnx"))) return d.FullName;
        return ".";
    }

    static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }
}
