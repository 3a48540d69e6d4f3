// Exact DirectProbe with shortcuts against the published loop (an SVM, C = 1e4, for every separability test) on the same
// synthetic vectors: `SharpLens.Bench directprobe [n_train] [d] [baseline_n] [seed]` (defaults 5200 256 600 0).
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
        int baseline = args.Length > 2 ? int.Parse(args[2]) : 600;
        long seed = args.Length > 3 ? long.Parse(args[3]) : 0;
        var data = Vectors(n, n / 4, d, seed);
        Console.WriteLine($"directprobe exact: {n} train / {n / 4} test vectors, d = {d}, 5 labels (latent-mixture synthetic, seed {seed}), " +
                          $"{Environment.ProcessorCount} cores; published = shortcuts off (SVM C = 1e4 for every test)");
        Console.WriteLine("| run | train vectors | wall s | final clusters | merges | rejected | SVM solves | shortcut tests | test acc | same clusters as published |");
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
        return 0;
    }

    static void Print(string name, int m, DirectProbeResult r, string same) =>
        Console.WriteLine($"| {name} | {m} | {r.Seconds:F1} | {r.Clusters} | {r.Merges} | {r.RejectedMerges} | {r.SvmSolves} | {r.ShortcutTests} | {r.TestAccuracy:F3} | {same} |");

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
    /// mapped by a fixed random d × 16 matrix, plus isotropic noise — partly but not linearly separable per label.
    /// </summary>
    static ProbeDataset Vectors(int train, int test, int d, long seed)
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
            x[i] = Enumerable.Range(0, d).Select(j => (float)(w[j].Select((v, t) => v * z[t]).Sum() + 1.0 * Normal())).ToArray();
            y[i] = $"dist{label + 2}";
        }
        return new ProbeDataset("synthetic", 0, x, y, Enumerable.Range(0, total).Select(i => i < train).ToArray(),
            Enumerable.Range(0, total).Select(i => $"v{i}").ToArray());
    }
}
