// Seeded synthetic probe datasets: Gaussian blobs (linearly separable), XOR quadrants, random labels.
using SharpLens.Analysis.Probes;

namespace SharpLens.Tests.Probes;

internal static class SyntheticData
{
    static double Normal(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    /// <summary>Rows drawn around <paramref name="centres"/> (one label each) with spread <paramref name="sigma"/>; every 5th row is test.</summary>
    public static ProbeDataset Blobs(double[][] centres, string[] labels, int perLabel, double sigma, int seed, int dims = 0)
    {
        var r = new Random(seed);
        int d = Math.Max(dims, centres[0].Length);
        var x = new List<float[]>(); var y = new List<string>(); var train = new List<bool>();
        for (int i = 0; i < perLabel; i++)
            for (int c = 0; c < centres.Length; c++)
            {
                x.Add(Enumerable.Range(0, d).Select(j => (float)((j < centres[c].Length ? centres[c][j] : 0) + sigma * Normal(r))).ToArray());
                y.Add(labels[c]);
                train.Add(i % 5 != 4);
            }
        return new ProbeDataset("synthetic", 0, x.ToArray(), y.ToArray(), train.ToArray(), y.Select((_, i) => $"p{i}").ToArray());
    }

    /// <summary>Three well-separated blobs in <paramref name="d"/> dimensions.</summary>
    public static ProbeDataset ThreeBlobs(int perLabel, int seed, int d = 8) =>
        Blobs([[6, 0], [-3, 5], [-3, -5]], ["a", "b", "c"], perLabel, 0.7, seed, d);

    /// <summary>XOR: four quadrant blobs, opposite quadrants share a label (not linearly separable).</summary>
    public static ProbeDataset Xor(int perQuadrant, int seed) =>
        Blobs([[4, 4], [-4, -4], [4, -4], [-4, 4]], ["0", "0", "1", "1"], perQuadrant, 0.8, seed);

    /// <summary>Gaussian noise with labels independent of the features.</summary>
    public static ProbeDataset RandomLabels(int n, int d, int seed)
    {
        var r = new Random(seed);
        var x = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (float)Normal(r)).ToArray()).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => ((char)('a' + r.Next(3))).ToString()).ToArray();
        return new ProbeDataset("synthetic", 0, x, y, Enumerable.Range(0, n).Select(i => i % 5 != 4).ToArray(), y.Select((_, i) => $"p{i}").ToArray());
    }
}
