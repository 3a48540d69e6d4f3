// Seeded k-means (k-means++ start, Lloyd iterations on TorchSharp) used to over-cluster each label for DirectProbe.
using static TorchSharp.torch;

namespace SharpLens.Analysis.Probes;

/// <summary>Deterministic k-means over a subset of rows; returns the non-empty clusters as row lists.</summary>
public static class KMeans
{
    /// <summary>Clusters rows <paramref name="rows"/> of <paramref name="x"/> into at most <paramref name="k"/> groups.</summary>
    public static List<int[]> Cluster(float[][] x, int[] rows, int k, int iterations, long seed)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"expected at least one cluster, found {k}");
        if (rows.Length <= k) return rows.Select(r => new[] { r }).ToList();
        using var scope = NewDisposeScope();
        var pts = LinearProbe.Matrix(rows.Select(r => x[r]).ToArray());             // [n, d]
        var rng = new SplitMix64(SplitMix64.Mix(seed, 0x4B3));
        // k-means++: each next centre drawn with probability ∝ squared distance to the nearest chosen one
        var chosen = new List<long> { rng.NextInt(rows.Length) };
        var d2 = cdist(pts, pts[chosen[0]].unsqueeze(0)).squeeze(1).pow(2);          // [n]
        while (chosen.Count < k)
        {
            var w = d2.data<float>().ToArray();
            double total = w.Sum(v => (double)v), u = rng.NextDouble() * total, acc = 0;
            int pick = w.Length - 1;
            for (int i = 0; i < w.Length; i++) { acc += w[i]; if (acc >= u && w[i] > 0) { pick = i; break; } }
            chosen.Add(pick);
            d2 = minimum(d2, cdist(pts, pts[pick].unsqueeze(0)).squeeze(1).pow(2));
        }
        var centres = pts.index_select(0, tensor(chosen.ToArray()));                  // [k, d]
        long[] assign = [];
        for (int it = 0; it < iterations; it++)
        {
            var next = cdist(pts, centres).argmin(1);                                // [n]
            var a = next.data<long>().ToArray();
            if (assign.SequenceEqual(a)) break;
            assign = a;
            var sums = zeros(k, pts.shape[1]).index_add_(0, next, pts, 1);
            var counts = zeros(k).index_add_(0, next, ones(rows.Length), 1);
            var keep = counts.gt(0).unsqueeze(1);
            centres = where(keep, sums / counts.clamp_min(1).unsqueeze(1), centres);
        }
        if (assign.Length == 0) assign = cdist(pts, centres).argmin(1).data<long>().ToArray();
        return Enumerable.Range(0, k).Select(c => Enumerable.Range(0, rows.Length).Where(i => assign[i] == c).Select(i => rows[i]).ToArray())
            .Where(g => g.Length > 0).ToList();
    }
}
