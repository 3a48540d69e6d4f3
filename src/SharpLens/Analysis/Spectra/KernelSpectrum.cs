// SSM-Interpret spectral metrics of a convolution kernel: |rfft|, dominant frequency, centroid, low/high energy, class.
// Reference: SSM-Interpret (Wu et al., arXiv 2602.06774) spectral procedure, as summarised in STUDIES.md.
using static TorchSharp.torch;

namespace SharpLens.Analysis.Spectra;

/// <summary>The SSM-Interpret filter classes.</summary>
public enum SpectralClass { LowPass, HighPass, BandPass, Unlabelled }

/// <summary>
/// Metrics of one kernel of length L: n_bins = L/2+1 (f_k = k/L cycles/token), dominant = argmax |K_k|, centroid =
/// Σ f·|K| / Σ |K|, Log10LowHighRatio = log10(Σ_{k&lt;⌊0.1·n_bins⌋} |K_k|² / Σ_{k≥⌊0.6·n_bins⌋} |K_k|²) (±∞ when a band is empty of energy).
/// </summary>
public sealed record SpectrumMetrics(int Length, int NBins, int DominantBin, double DominantFrequency, double Centroid,
    double Log10LowHighRatio, SpectralClass Class);

/// <summary>A discrete pole exp(Δ·A_n): magnitude, angle (radians) and decay length −1/ln|pole| in tokens.</summary>
public sealed record Pole(double Magnitude, double Angle, double DecayLength);

/// <summary>The spectral procedure as small pure functions (no window, no normalisation).</summary>
public static class KernelSpectrum
{
    /// <summary>Centroid threshold between low-pass and the other classes (cycles/token).</summary>
    public const double CentroidThreshold = 0.166;
    /// <summary>Low band: bins k &lt; ⌊LowFraction·n_bins⌋; high band: k ≥ ⌊HighFraction·n_bins⌋.</summary>
    public const double LowFraction = 0.1, HighFraction = 0.6;

    /// <summary>|rfft(K)| in float64: n_bins = L/2+1 values.</summary>
    public static double[] Magnitude(double[] kernel)
    {
        if (kernel.Length < 2) throw new ArgumentException($"a kernel needs at least 2 lags for a spectrum, found {kernel.Length}");
        using var scope = NewDisposeScope();
        using var k = tensor(kernel, dtype: ScalarType.Float64);
        return fft.rfft(k).abs().data<double>().ToArray();
    }

    /// <summary>|rfft(K)| of a kernel tensor [L] or [1, L] (cast to float64 first: rfft rejects bf16/f16).</summary>
    public static double[] Magnitude(Tensor kernel) => Magnitude(kernel.to(ScalarType.Float64).flatten().data<double>().ToArray());

    /// <summary>All metrics of a kernel given in the time domain.</summary>
    public static SpectrumMetrics Analyze(double[] kernel) => FromMagnitude(Magnitude(kernel), kernel.Length);

    /// <summary>All metrics from a magnitude response of a length-<paramref name="length"/> kernel.</summary>
    public static SpectrumMetrics FromMagnitude(double[] mag, int length)
    {
        int nBins = mag.Length;
        if (nBins != length / 2 + 1) throw new ArgumentException($"a length-{length} kernel has {length / 2 + 1} rfft bins, found {nBins}");
        int dominant = 0;
        double sum = 0, weighted = 0;
        for (int k = 0; k < nBins; k++)
        {
            if (mag[k] > mag[dominant]) dominant = k;
            sum += mag[k];
            weighted += (double)k / length * mag[k];
        }
        double centroid = sum > 0 ? weighted / sum : double.NaN;
        int lowEnd = (int)Math.Floor(LowFraction * nBins), highStart = (int)Math.Floor(HighFraction * nBins);
        double low = 0, high = 0;
        for (int k = 0; k < lowEnd; k++) low += mag[k] * mag[k];
        for (int k = highStart; k < nBins; k++) high += mag[k] * mag[k];
        double ratio = low == 0 && high == 0 ? double.NaN : high == 0 ? double.PositiveInfinity : low == 0 ? double.NegativeInfinity : Math.Log10(low / high);
        return new SpectrumMetrics(length, nBins, dominant, (double)dominant / length, centroid, ratio, Classify(centroid, ratio));
    }

    /// <summary>low-pass: centroid &lt; 0.166 and ratio &gt; 1; high-pass: centroid ≥ 0.166 and ratio &lt; 0; band-pass: centroid ≥ 0.166 and 0 ≤ ratio ≤ 1.</summary>
    public static SpectralClass Classify(double centroid, double log10Ratio)
    {
        if (double.IsNaN(centroid) || double.IsNaN(log10Ratio)) return SpectralClass.Unlabelled;
        if (centroid < CentroidThreshold) return log10Ratio > 1 ? SpectralClass.LowPass : SpectralClass.Unlabelled;
        if (log10Ratio < 0) return SpectralClass.HighPass;
        return log10Ratio <= 1 ? SpectralClass.BandPass : SpectralClass.Unlabelled;
    }

    /// <summary>Display name: low-pass, high-pass, band-pass, unlabelled.</summary>
    public static string Name(SpectralClass c) => c switch
    {
        SpectralClass.LowPass => "low-pass",
        SpectralClass.HighPass => "high-pass",
        SpectralClass.BandPass => "band-pass",
        _ => "unlabelled",
    };
}
