// Means with 95% normal intervals and Pearson correlation, for the study's summaries.
namespace SharpLens.Analysis.Parens;

/// <summary>Small statistics helpers (NaN when undefined, never an exception).</summary>
internal static class Stats
{
    /// <summary>Mean and 95% interval mean ± 1.96·sd/√n (sample sd; the interval collapses to the mean for n = 1).</summary>
    public static (double Mean, double Lo, double Hi) MeanCi(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) return (double.NaN, double.NaN, double.NaN);
        double m = v.Average();
        if (v.Length == 1) return (m, m, m);
        double sd = Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
        double h = 1.96 * sd / Math.Sqrt(v.Length);
        return (m, m - h, m + h);
    }

    /// <summary>Pearson correlation; NaN when either side is constant or there are fewer than 3 pairs.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"expected equal lengths, found {x.Count} and {y.Count}");
        if (x.Count < 3) return double.NaN;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); }
        return sxx < 1e-18 || syy < 1e-18 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}
