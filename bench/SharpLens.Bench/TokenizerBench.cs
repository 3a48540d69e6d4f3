// Encode throughput (MB/s) of each fixture tokenizer on real Python source, and Microsoft.ML.Tokenizers where it is exact.
using System.Diagnostics;
using SharpLens.Tokenization;

namespace SharpLens.Bench;

internal static class TokenizerBench
{
    /// <summary>`tokenizers [--fixtures DIR] [--corpus DIR] [--mb N] [--long-line]`.</summary>
    public static int Run(string[] args)
    {
        string fixtures = Arg(args, "--fixtures") ?? Environment.GetEnvironmentVariable("SHARPLENS_FIXTURES") ?? Path.GetFullPath("../shared/fixtures");
        string corpusDir = Arg(args, "--corpus") ?? "/usr/lib/python3.11";
        double mb = double.Parse(Arg(args, "--mb") ?? "4", System.Globalization.CultureInfo.InvariantCulture);
        var root = Path.Combine(fixtures, "tokenizers");
        if (!Directory.Exists(root)) { Console.Error.WriteLine($"tokenizers bench: no fixtures at {root}"); return 2; }
        if (!Directory.Exists(corpusDir)) { Console.Error.WriteLine($"tokenizers bench: no corpus folder {corpusDir}"); return 2; }
        var files = LoadCorpus(corpusDir, (long)(mb * 1_000_000));
        long chars = files.Sum(f => (long)f.Length);
        double megabytes = files.Sum(f => (double)System.Text.Encoding.UTF8.GetByteCount(f)) / 1e6;
        Console.WriteLine($"corpus: {files.Count} files from {corpusDir}, {megabytes:F2} MB UTF-8, {chars} chars; {Environment.ProcessorCount} cores; single thread");
        Console.WriteLine("| tokenizer | file | implementation | MB/s (CPU time) | MB/s (wall) | tokens | ids identical to SharpLens |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var folder in new[] { "codellama", "llama-spm", "gpt2", "starcoder", "gpt-neox" })
        {
            var dir = Path.Combine(root, folder);
            if (!Directory.Exists(dir)) continue;
            var tok = Tokenizer.Load(dir);
            var ours = new List<int[]>();
            var (mbps, wall, tokens) = Time(files, megabytes, f => { var ids = tok.Encode(f, addSpecialTokens: false).Ids.ToArray(); ours.Add(ids); return ids.Length; });
            Console.WriteLine($"| {folder} | {Path.GetFileName(tok.Source)} | SharpLens | {mbps:F2} | {wall:F2} | {tokens} | reference |");
            var ml = MlTokenizersBench.Create(folder, dir);
            if (ml == null) continue;
            int i = 0, same = 0;
            var (mlMbps, mlWall, mlTokens) = Time(files, megabytes, f => { var ids = ml(f); if (ids.SequenceEqual(ours[i++ % ours.Count])) same++; return ids.Count; });
            Console.WriteLine($"| {folder} | {Path.GetFileName(tok.Source)} | Microsoft.ML.Tokenizers 2.0.1 | {mlMbps:F2} | {mlWall:F2} | {mlTokens} | {same}/{files.Count} files |");
        }
        if (args.Contains("--long-line"))
        {
            var line = string.Concat(files).Replace('\n', ' ');
            if (line.Length > 10_000_000) line = line[..10_000_000];
            foreach (var folder in new[] { "codellama", "llama-spm", "gpt2", "starcoder", "gpt-neox" })
            {
                var tok = Tokenizer.Load(Path.Combine(root, folder));
                var sw = Stopwatch.StartNew();
                var n = tok.Encode(line, false).Count;
                Console.WriteLine($"long line {line.Length} chars, {folder}: {sw.Elapsed.TotalSeconds:F2} s, {n} tokens");
            }
        }
        return 0;
    }

    // The machine this ran on is shared, so throughput is MB per second of this process's CPU time (one thread),
    // which contention from other processes does not inflate; wall-clock MB/s is printed alongside.
    static (double MBps, double WallMBps, long Tokens) Time(List<string> files, double megabytes, Func<string, int> encode)
    {
        foreach (var f in files.Take(20)) encode(f);   // warm-up (JIT, caches)
        GC.Collect();
        long tokens = 0;
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        foreach (var f in files) tokens += encode(f);
        sw.Stop();
        proc.Refresh();
        var cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
        return (megabytes / cpu, megabytes / sw.Elapsed.TotalSeconds, tokens);
    }

    static List<string> LoadCorpus(string dir, long maxBytes)
    {
        var result = new List<string>();
        long total = 0;
        foreach (var path in Directory.EnumerateFiles(dir, "*.py", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(path);
            result.Add(text);
            total += System.Text.Encoding.UTF8.GetByteCount(text);
            if (total >= maxBytes) break;
        }
        return result;
    }

    static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>Microsoft.ML.Tokenizers counterparts, where one exists for the fixture's files (it cannot read tokenizer.json).</summary>
internal static class MlTokenizersBench
{
    public static Func<string, IReadOnlyList<int>>? Create(string folder, string dir)
    {
        switch (folder)
        {
            case "llama-spm":
            {
                using var model = File.OpenRead(Path.Combine(dir, "tokenizer.model"));
                var t = Microsoft.ML.Tokenizers.LlamaTokenizer.Create(model, addBeginOfSentence: false, addEndOfSentence: false);
                return text => t.EncodeToIds(text);
            }
            case "gpt2":
            {
                using var vocab = File.OpenRead(Path.Combine(dir, "vocab.json"));
                using var merges = File.OpenRead(Path.Combine(dir, "merges.txt"));
                var t = Microsoft.ML.Tokenizers.CodeGenTokenizer.Create(vocab, merges, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
                return text => t.EncodeToIds(text);
            }
            default:
                return null;
        }
    }
}
