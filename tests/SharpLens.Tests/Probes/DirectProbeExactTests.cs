// Exact DirectProbe with shortcuts against a naive reference (closest pair by full scan, an SVM for every test) on seeded overlapping sets.
using SharpLens.Analysis.Probes;

namespace SharpLens.Tests.Probes;

public sealed class DirectProbeExactTests
{
    /// <summary>
    /// The algorithm as published, written independently of the library's merge loop: scan every live same-label
    /// pair not yet rejected for the smallest centroid distance, merge it when the union is separable (one SVM solve per
    /// other-label cluster), else remember the rejection; stop when no pair is left. Returns the final clusters.
    /// </summary>
    static List<int[]> NaiveClusters(ProbeDataset data)
    {
        var (x, y, _, _) = LinearProbe.Split(data);
        var clusters = Enumerable.Range(0, x.Length).Select(i => (Rows: new[] { i }, Label: y[i], Centre: Mean(x, [i]))).ToList();
        var rejected = new HashSet<(int[], int[])>();
        while (true)
        {
            (int A, int B) best = (-1, -1);
            double bestD = double.PositiveInfinity;
            for (int a = 0; a < clusters.Count; a++)
                for (int b = a + 1; b < clusters.Count; b++)
                {
                    if (clusters[a].Label != clusters[b].Label || rejected.Contains((clusters[a].Rows, clusters[b].Rows))) continue;
                    double dist = Math.Sqrt(clusters[a].Centre.Zip(clusters[b].Centre, (p, q) => (p - q) * (p - q)).Sum());
                    if (dist < bestD) (bestD, best) = (dist, (a, b));
                }
            if (best.A < 0) return clusters.Select(c => c.Rows).ToList();
            var (ca, cb) = (clusters[best.A], clusters[best.B]);
            var union = ca.Rows.Concat(cb.Rows).ToArray();
            bool ok = clusters.Where(c => c.Label != ca.Label).All(c => LinearSvm.Separable(x, union, c.Rows, Oracle, out _));
            if (!ok) { rejected.Add((ca.Rows, cb.Rows)); rejected.Add((cb.Rows, ca.Rows)); continue; }
            clusters.RemoveAt(best.B); clusters.RemoveAt(best.A);
            clusters.Add((union, ca.Label, Mean(x, union)));
        }
    }

    /// <summary>
    /// The separability oracle of every run here. With the default 200-epoch cap the SVM reports some barely separable
    /// sets of these small sets as not separable (a hyperplane the shortcuts cached separates them); the published
    /// algorithm (sklearn SVC) iterates to convergence, so the comparison runs the SVM that long too.
    /// </summary>
    static readonly SvmOptions Oracle = new() { C = 1e7, MaxEpochs = 20_000 };

    static double[] Mean(float[][] x, int[] rows) =>
        Enumerable.Range(0, x[0].Length).Select(j => rows.Sum(r => (double)x[r][j]) / rows.Length).ToArray();

    static string[] Canonical(IEnumerable<int[]> clusters) =>
        clusters.Select(c => string.Join(",", c.Order())).Order(StringComparer.Ordinal).ToArray();

    public static TheoryData<string, int> Sets() => new()
    {
        { "overlap", 11 }, { "overlap", 12 }, { "overlap", 13 }, { "overlap", 14 }, { "random", 21 }, { "random", 22 }, { "random", 23 },
    };

    static ProbeDataset Make(string kind, int seed) => kind == "random"
        ? SyntheticData.RandomLabels(110, 4, seed)
        // five overlapping blobs shared by three labels in 6 dimensions: partly separable, so merges are both accepted and rejected
        : SyntheticData.Blobs([[0, 0], [1.5, 0], [0, 1.5], [1.5, 1.5], [0.75, 0.75]], ["a", "b", "a", "b", "c"], 24, 0.6, seed, 6);

    [Theory]
    [MemberData(nameof(Sets))]
    public void Shortcuts_and_published_loop_give_the_naive_final_clusters(string kind, int seed)
    {
        var data = Make(kind, seed);
        var naive = Canonical(NaiveClusters(data));
        var fast = DirectProbe.Run(data, new DirectProbeOptions { Mode = DirectProbeMode.Exact, Svm = Oracle });
        var published = DirectProbe.Run(data, new DirectProbeOptions { Mode = DirectProbeMode.Exact, Shortcuts = false, Svm = Oracle });
        Assert.Equal(naive, Canonical(fast.FinalClusters.Select(c => c.Members)));
        Assert.Equal(naive, Canonical(published.FinalClusters.Select(c => c.Members)));
        // the sets are hard enough to exercise every branch, and the shortcuts save solves
        Assert.True(fast.RejectedMerges > 0 && fast.Merges > 0, $"{fast.Merges} merges, {fast.RejectedMerges} rejected");
        Assert.Equal(published.RejectedMerges, fast.RejectedMerges);
        Assert.True(fast.ShortcutTests > 0 && fast.SvmSolves < published.SvmSolves, $"{fast.SvmSolves} vs {published.SvmSolves} solves");
        Assert.Equal(0, published.ShortcutTests);
        Assert.Equal(published.TestAccuracyCentroid, fast.TestAccuracyCentroid, 12);
    }

    [Fact]
    public void Svm_certificate_separates_in_original_coordinates()
    {
        float[][] x = [[0, 0, 1], [1, 0, 1], [0, 1, 1], [3, 3, 1], [4, 3, 1], [3, 4, 1]];
        Assert.True(LinearSvm.Separable(x, [0, 1, 2], [3, 4, 5], new SvmOptions(), out _, out var w));
        Assert.NotNull(w);
        Assert.Equal(4, w.Length);
        double Side(int r) => x[r].Select((v, j) => v * w[j]).Sum() + w[3];
        Assert.All(new[] { 0, 1, 2 }, r => Assert.True(Side(r) > 0, $"row {r}: {Side(r)}"));
        Assert.All(new[] { 3, 4, 5 }, r => Assert.True(Side(r) < 0, $"row {r}: {Side(r)}"));
        float[][] xor = [[0, 0], [1, 1], [1, 0], [0, 1]];
        Assert.False(LinearSvm.Separable(xor, [0, 1], [2, 3], new SvmOptions(), out _, out var none));
        Assert.Null(none);
    }
}
