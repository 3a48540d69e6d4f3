// Exact DirectProbe with shortcuts against the published loop (an SVM, C = 1e4, for every separability test) on the same
// synthetic vectors: `SharpLens.Bench directprobe [n_train] [d] [baseline_n] [seed] [noise] [budget]` (defaults 5200 256 1000 0 1.0 300000;
// a smaller isotropic noise leaves the vectors nearer their 16-dimensional latent: less separable, more final clusters).
// The published loop is timed on the first baseline_n/2 and baseline_n training vectors (and the fast one on the same
// subsets, to compare clusters); its time at n_train is extrapolated with the exponent fitted between the two sizes.
using System.Diagnostics;
using SharpLens.Analysis.Probes;
using SharpLens.Code;

namespace SharpLens.Bench;

internal static class DirectProbeBench
{
    public static int Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0]) : 5200;
        int d = args.Length > 1 ? int.Parse(args[1]) : 256;
        int baseline = args.Length > 2 ? int.Parse(args[2]) : 1000;
        long seed = args.Length > 3 ? long.Parse(args[3]) : 0;
        double noise = args.Length > 4 ? double.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 1.0;
        int budget = args.Length > 5 ? int.Parse(args[5]) : 300_000;
        var data = Vectors(n, n / 4, d, seed, noise);
        Console.WriteLine($"directprobe exact: {n} train / {n / 4} test vectors, d = {d}, 5 labels (latent-mixture synthetic, seed {seed}, noise {noise}), " +
                          $"{Environment.ProcessorCount} cores; published = shortcuts off (SVM C = 1e4 for every test)");
        Console.WriteLine("| run | train vectors | wall s | final clusters | merges | rejected (uncertain) | SVM solves | shortcut tests | test acc | same clusters as published |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        var times = new List<(int N, double Seconds)>();
        foreach (var m in new[] { baseline / 2, baseline })
        {
            var subset = Subset(data, m);
            var published = DirectProbe.Run(subset, new DirectProbeOptions { Mode = DirectProbeMode.Exact, Shortcuts = false, MaxSolves = int.MaxValue });
            var fast = DirectProbe.Run(subset, new DirectProbeOptions { Mode = DirectProbeMode.Exact, MaxSolves = int.MaxValue });
            bool same = Canonical(published).SequenceEqual(Canonical(fast));
            Print("published", m, published, "");
            Print("shortcuts", m, fast, same ? "yes" : $"no ({published.Clusters} vs {fast.Clusters})");
            times.Add((m, published.Seconds));
        }
        var full = DirectProbe.Run(data, new DirectProbeOptions { Mode = DirectProbeMode.Exact, MaxSolves = int.MaxValue },
            s => Console.Error.WriteLine(s));
        Print("shortcuts", n, full, "not run (see extrapolation)");
        double k = Math.Log(times[1].Seconds / times[0].Seconds) / Math.Log((double)times[1].N / times[0].N);
        double extrapolated = times[1].Seconds * Math.Pow((double)n / times[1].N, k);
        Console.WriteLine($"published loop extrapolated to {n}: {extrapolated:F0} s (time ∝ n^{k:F2} fitted on {times[0].N} and {times[1].N}); " +
                          $"speed-up {extrapolated / full.Seconds:F0}×");
        // second estimate: the published loop on all n vectors until a budget of solves, seconds per solve there (the
        // earliest, smallest sets: a lower bound) × the separability tests the shortcut run settled (each one a solve there)
        var (x, y, _, _) = LinearProbe.Split(data);
        var loop = new DirectProbeMerge(x, Enumerable.Range(0, x.Length).Select(i => new[] { i }).ToList(), y.ToList(),
            new DirectProbeOptions { Mode = DirectProbeMode.Exact, Shortcuts = false, MaxSolves = budget });
        var sw = Stopwatch.StartNew();
        loop.Run(null);
        double tests = full.SvmSolves + (double)full.ShortcutTests, estimate = sw.Elapsed.TotalSeconds / loop.Solves * tests;
        Console.WriteLine($"published loop on all {n}: {loop.Solves} solves ({loop.Merges} merges) in {sw.Elapsed.TotalSeconds:F1} s; " +
                          $"× {tests:N0} tests ≈ {estimate:F0} s at least; speed-up ≥ {estimate / full.Seconds:F0}×");
        return 0;
    }

    static void Print(string name, int m, DirectProbeResult r, string same) =>
        Console.WriteLine($"| {name} | {m} | {r.Seconds:F1} | {r.Clusters} | {r.Merges} | {r.RejectedMerges} ({r.UncertainRejections}) | {r.SvmSolves} | {r.ShortcutTests} | {r.TestAccuracy:F3} | {same} |");

    static string[] Canonical(DirectProbeResult r) =>
        r.FinalClusters.Select(c => string.Join(",", c.Members.Order())).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The first <paramref name="m"/> training rows (labels are interleaved, so balanced) and every test row.</summary>
    static ProbeDataset Subset(ProbeDataset data, int m)
    {
        int seen = 0;
        var keep = Enumerable.Range(0, data.X.Length).Where(i => !data.IsTrain[i] || ++seen <= m).ToArray();
        return new ProbeDataset(data.Task, data.Layer, keep.Select(i => data.X[i]).ToArray(), keep.Select(i => data.Labels[i]).ToArray(),
            keep.Select(i => data.IsTrain[i]).ToArray(), keep.Select(i => data.Ids[i]).ToArray());
    }

    /// <summary>
    /// Representation-like vectors: a 16-dimensional latent drawn around 3 sub-centres per label (5 labels that overlap),
    /// mapped by a fixed random d × 16 matrix, plus isotropic noise of std <paramref name="noise"/> — partly but not linearly separable per label.
    /// </summary>
    static ProbeDataset Vectors(int train, int test, int d, long seed, double noise)
    {
        const int latent = 16, labels = 5, subs = 3;
        var rng = new SplitMix64(SplitMix64.Mix(seed, 0xD1B));
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var centres = Enumerable.Range(0, labels * subs).Select(_ => Enumerable.Range(0, latent).Select(_ => 0.5 * Normal()).ToArray()).ToArray();
        var w = Enumerable.Range(0, d).Select(_ => Enumerable.Range(0, latent).Select(_ => Normal() / 4).ToArray()).ToArray();
        int total = train + test;
        var x = new float[total][];
        var y = new string[total];
        for (int i = 0; i < total; i++)
        {
            int label = i % labels;
            var c = centres[label * subs + rng.NextInt(subs)];
            var z = c.Select(v => v + Normal()).ToArray();
            x[i] = Enumerable.Range(0, d).Select(j => (float)(w[j].Select((v, t) => v * z[t]).Sum() + noise * Normal())).ToArray();
            y[i] = $"dist{label + 2}";
        }
        return new ProbeDataset("synthetic", 0, x, y, Enumerable.Range(0, total).Select(i => i < train).ToArray(),
            Enumerable.Range(0, total).Select(i => $"v{i}").ToArray());
    }
}
