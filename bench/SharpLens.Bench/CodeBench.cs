// Parse + align throughput of SharpLens.Code on a real code directory (default /usr/lib/python3.11).
using System.Diagnostics;
using SharpLens.Code;

namespace SharpLens.Bench;

internal static class CodeBench
{
    /// <summary>usage: code [DIR] [--repeat N]; prints files/s and MB/s for read, parse, code tokens + alignment, brackets.</summary>
    public static int Run(string[] args)
    {
        string dir = "/usr/lib/python3.11";
        int repeat = 3;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--repeat" && i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r > 0) repeat = int.Parse(args[++i]);
            else if (!args[i].StartsWith("--")) dir = args[i];
            else { Console.Error.WriteLine($"expected [DIR] [--repeat N>0], found '{args[i]}'"); return 2; }
        }
        if (!Directory.Exists(dir)) { Console.Error.WriteLine($"expected a source directory, found none at {dir}"); return 2; }

        var scan = new SourceScan();
        var sw = Stopwatch.StartNew();
        var files = SourceFiles.Read(dir, scan).ToList();
        double readS = sw.Elapsed.TotalSeconds;
        double mb = scan.BytesRead / 1e6;
        Console.WriteLine($"{dir}: {files.Count} files, {mb:F1} MB (skipped {scan.SkippedNotUtf8} not UTF-8, {scan.SkippedTooLarge} too large); read {readS:F2} s");

        // warm-up (JIT, native parser tables)
        foreach (var f in files.Take(20)) SyntaxTree.Parse(f.Text, f.Language);

        double nativeBest = double.MaxValue;
        for (int r = 0; r < repeat; r++)
        {
            sw.Restart();
            foreach (var f in files) SyntaxTree.ParseNativeOnly(f.Text, f.Language);
            nativeBest = Math.Min(nativeBest, sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"native parse + flatten only:   {nativeBest:F2} s  {files.Count / nativeBest:F0} files/s  {mb / nativeBest:F1} MB/s");

        double best = double.MaxValue, bestAlign = double.MaxValue, bestBrackets = double.MaxValue;
        long nodes = 0, tokens = 0; int errors = 0;
        for (int r = 0; r < repeat; r++)
        {
            var trees = new List<SyntaxTree>(files.Count);
            sw.Restart();
            foreach (var f in files) trees.Add(SyntaxTree.Parse(f.Text, f.Language));
            best = Math.Min(best, sw.Elapsed.TotalSeconds);

            sw.Restart();
            tokens = 0;
            foreach (var t in trees)
            {
                // stand-in tokenizer: one token per 3 characters (straddles leaves like real BPE does)
                int n = (t.Source.Length + 2) / 3;
                var starts = new int[n]; var ends = new int[n];
                for (int i = 0; i < n; i++) { starts[i] = 3 * i; ends[i] = Math.Min(3 * i + 3, t.Source.Length); }
                var al = TokenAlignment.ToCodeTokens(t, starts, ends);
                tokens += al.TokenCount;
            }
            bestAlign = Math.Min(bestAlign, sw.Elapsed.TotalSeconds);

            sw.Restart();
            foreach (var t in trees) BracketProfile.Compute(t);
            bestBrackets = Math.Min(bestBrackets, sw.Elapsed.TotalSeconds);
            nodes = trees.Sum(t => (long)t.Nodes.Count);
            errors = trees.Count(t => t.HasErrors);
        }
        Console.WriteLine($"parse (native + managed tree): {best:F2} s  {files.Count / best:F0} files/s  {mb / best:F1} MB/s  ({nodes} nodes, {errors} files with errors)");
        Console.WriteLine($"code tokens + alignment:       {bestAlign:F2} s  {files.Count / bestAlign:F0} files/s  {mb / bestAlign:F1} MB/s  ({tokens} tokens)");
        Console.WriteLine($"bracket profile:               {bestBrackets:F2} s  {files.Count / bestBrackets:F0} files/s  {mb / bestBrackets:F1} MB/s");
        double total = best + bestAlign;
        Console.WriteLine($"parse + align:                 {total:F2} s  {files.Count / total:F0} files/s  {mb / total:F1} MB/s  (best of {repeat})");
        return 0;
    }
}
