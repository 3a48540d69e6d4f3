// Linear separability of two point sets: a (near) hard-margin linear SVM (C = 1e4) solved by dual coordinate descent.
using System.Numerics;
using System.Runtime.InteropServices;

namespace SharpLens.Analysis.Probes;

/// <summary>Options of <see cref="LinearSvm.Separable(float[][], IReadOnlyList{int}, IReadOnlyList{int}, SvmOptions, out int)"/>.</summary>
public sealed record SvmOptions
{
    /// <summary>Box constraint of the L1-loss SVM; 1e4 as the SSM-Interpret authors used (hard-margin-like).</summary>
    public double C { get; init; } = 1e4;
    /// <summary>Epochs (passes over all points) before giving up and answering "not separable".</summary>
    public int MaxEpochs { get; init; } = 200;
    /// <summary>Stop when max − min projected gradient falls below this (converged; then the answer is the fit's).</summary>
    public double Tolerance { get; init; } = 1e-3;
}

/// <summary>
/// Decides whether two point sets are strictly linearly separable, as DirectProbe needs for every merge. The dual
/// coordinate descent of Hsieh et al. (ICML 2008) for the L1-loss linear SVM with box C, points centred on their
/// joint mean and a unit bias feature appended (so the bias is lightly regularised). Answer "separable" as soon as the
/// current w classifies every point strictly correctly — a certificate, so never a false positive. Answer "not
/// separable" when the solver converges with a misclassified point or runs out of <see cref="SvmOptions.MaxEpochs"/>:
/// that can be a false negative for barely separable sets (an exact LP would decide those). One coordinate per update
/// (not batched); every pass visits the points in a seeded random order.
/// </summary>
internal static class LinearSvm
{
    /// <summary>Whether rows <paramref name="positive"/> and <paramref name="negative"/> of <paramref name="x"/> are separable; epochs used out.</summary>
    public static bool Separable(float[][] x, IReadOnlyList<int> positive, IReadOnlyList<int> negative, SvmOptions options, out int epochs)
        => Separable(x, positive, negative, options, out epochs, out _);

    /// <summary>
    /// As <see cref="Separable(float[][], IReadOnlyList{int}, IReadOnlyList{int}, SvmOptions, out int)"/>, and when the
    /// answer is "separable" also the certificate: <paramref name="hyperplane"/> = [w (d), b] in the original
    /// coordinates with w·x + b &gt; 0 on every positive row and &lt; 0 on every negative one (null otherwise).
    /// </summary>
    public static bool Separable(float[][] x, IReadOnlyList<int> positive, IReadOnlyList<int> negative, SvmOptions options, out int epochs,
        out float[]? hyperplane)
    {
        epochs = 0;
        hyperplane = null;
        if (positive.Count == 0 || negative.Count == 0) return true;
        int d = x[positive[0]].Length, m = positive.Count + negative.Count, stride = d + 1;
        var pts = new float[m * stride];                                             // [m, d + 1] centred, bias last
        var y = new float[m];
        var mean = new double[d];
        for (int i = 0; i < m; i++)
        {
            var row = x[i < positive.Count ? positive[i] : negative[i - positive.Count]];
            for (int j = 0; j < d; j++) mean[j] += row[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= m;
        var q = new double[m];
        for (int i = 0; i < m; i++)
        {
            var row = x[i < positive.Count ? positive[i] : negative[i - positive.Count]];
            var dst = pts.AsSpan(i * stride, stride);
            for (int j = 0; j < d; j++) dst[j] = (float)(row[j] - mean[j]);
            dst[d] = 1f;
            y[i] = i < positive.Count ? 1f : -1f;
            q[i] = Dot(dst, dst);
        }
        var w = new float[stride];
        var alpha = new double[m];
        var order = Enumerable.Range(0, m).ToArray();
        var rng = new SplitMix64(SplitMix64.Mix(m, d, 0x5F3));
        for (epochs = 1; epochs <= options.MaxEpochs; epochs++)
        {
            rng.Shuffle(order);
            double maxPg = double.NegativeInfinity, minPg = double.PositiveInfinity;
            int wrong = 0;
            foreach (var i in order)
            {
                var xi = pts.AsSpan(i * stride, stride);
                double margin = y[i] * Dot(w, xi);
                if (margin <= 0) wrong++;
                double g = margin - 1;
                double pg = alpha[i] == 0 ? Math.Min(g, 0) : alpha[i] >= options.C ? Math.Max(g, 0) : g;
                maxPg = Math.Max(maxPg, pg); minPg = Math.Min(minPg, pg);
                if (pg == 0 || q[i] == 0) continue;
                double old = alpha[i];
                alpha[i] = Math.Clamp(old - g / q[i], 0, options.C);
                Axpy((float)((alpha[i] - old) * y[i]), xi, w);
            }
            if (wrong == 0 && AllCorrect(pts, y, w, stride)) return Certify(w, mean, out hyperplane);
            if (maxPg - minPg < options.Tolerance) return AllCorrect(pts, y, w, stride) && Certify(w, mean, out hyperplane);
        }
        epochs = options.MaxEpochs;
        return AllCorrect(pts, y, w, stride) && Certify(w, mean, out hyperplane);
    }

    /// <summary>w·(x − mean) + w_bias = w·x + (w_bias − w·mean): the separator in the original coordinates; always true.</summary>
    static bool Certify(float[] w, double[] mean, out float[]? hyperplane)
    {
        int d = mean.Length;
        hyperplane = new float[d + 1];
        double bias = w[d];
        for (int j = 0; j < d; j++) { hyperplane[j] = w[j]; bias -= w[j] * mean[j]; }
        hyperplane[d] = (float)bias;
        return true;
    }

    static bool AllCorrect(float[] pts, float[] y, float[] w, int stride)
    {
        for (int i = 0; i < y.Length; i++)
            if (y[i] * Dot(w, pts.AsSpan(i * stride, stride)) <= 0) return false;
        return true;
    }

    internal static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
        var acc = Vector<float>.Zero;
        for (int i = 0; i < va.Length; i++) acc += va[i] * vb[i];
        float s = Vector.Sum(acc);
        for (int i = va.Length * Vector<float>.Count; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        var vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        for (int i = 0; i < vx.Length; i++) vy[i] += alpha * vx[i];
        for (int i = vx.Length * Vector<float>.Count; i < x.Length; i++) y[i] += alpha * x[i];
    }
}
