// Spectral metrics against closed-form cases: a decaying exponential, a pure sinusoid, white noise, one S4D mode.
using SharpLens.Analysis.Spectra;
using SharpLens.Nn;
using static TorchSharp.torch;

namespace SharpLens.Tests.Ssm;

public class SpectraTests
{
    const int L = 4096;

    [Theory]
    [InlineData(0.95)]
    [InlineData(0.99)]
    public void A_decaying_exponential_is_low_pass_with_the_analytic_response(double a)
    {
        // Given K[ℓ] = a^ℓ (a^L ≈ 0, so the finite DFT equals the infinite sum 1/(1 − a·e^{−iω}) to ~a^L)
        var k = Enumerable.Range(0, L).Select(l => Math.Pow(a, l)).ToArray();
        // When
        var mag = KernelSpectrum.Magnitude(k);
        var m = KernelSpectrum.FromMagnitude(mag, L);
        // Then |K(ω_j)| = 1/|1 − a·e^{−iω_j}| at every bin, and the class is low-pass with DC dominant
        for (int j = 0; j < mag.Length; j++)
        {
            double w = 2 * Math.PI * j / L;
            double expected = 1.0 / Math.Sqrt(1 - 2 * a * Math.Cos(w) + a * a);
            Assert.True(Math.Abs(mag[j] - expected) <= 1e-6 * expected + Math.Pow(a, L) * 10, $"bin {j}: {mag[j]} vs {expected}");
        }
        Assert.Equal(L / 2 + 1, m.NBins);
        Assert.Equal(0, m.DominantBin);
        Assert.Equal(SpectralClass.LowPass, m.Class);
        Assert.True(m.Centroid < KernelSpectrum.CentroidThreshold && m.Log10LowHighRatio > 1, $"centroid {m.Centroid}, log10 ratio {m.Log10LowHighRatio}");
    }

    [Theory]
    [InlineData(300)]
    [InlineData(1500)]
    public void A_pure_sinusoid_at_bin_k_has_dominant_frequency_k_over_L(int bin)
    {
        var k = Enumerable.Range(0, L).Select(l => Math.Cos(2 * Math.PI * bin * l / L)).ToArray();
        var m = KernelSpectrum.Analyze(k);
        Assert.Equal(bin, m.DominantBin);
        Assert.Equal((double)bin / L, m.DominantFrequency, 12);
        // all energy sits in one bin: the centroid is that frequency
        Assert.Equal((double)bin / L, m.Centroid, 6);
        Assert.Equal(bin > 0.6 * (L / 2 + 1) ? SpectralClass.HighPass : SpectralClass.Unlabelled, m.Class);
    }

    [Fact]
    public void White_noise_has_centroid_near_a_quarter()
    {
        // |rfft| of iid Gaussian noise is flat in expectation, so the centroid is the mean frequency 0.25 cycles/token;
        // its standard deviation over seeds is ≈ 0.004 at L = 4096: tolerance 0.02 (5σ)
        var rng = new Random(7);
        var k = Enumerable.Range(0, L).Select(_ => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())).ToArray();
        var m = KernelSpectrum.Analyze(k);
        Assert.InRange(m.Centroid, 0.23, 0.27);
        // flat spectrum: low band (10% of bins) over high band (40%) is log10(0.25) ≈ −0.6 → high-pass
        Assert.InRange(m.Log10LowHighRatio, -0.8, -0.4);
        Assert.Equal(SpectralClass.HighPass, m.Class);
    }

    [Theory]
    [InlineData(0.10, 1.5, SpectralClass.LowPass)]
    [InlineData(0.10, 0.5, SpectralClass.Unlabelled)]
    [InlineData(0.20, -0.5, SpectralClass.HighPass)]
    [InlineData(0.20, 0.0, SpectralClass.BandPass)]
    [InlineData(0.20, 1.0, SpectralClass.BandPass)]
    [InlineData(0.166, 1.01, SpectralClass.Unlabelled)]
    public void Classes_follow_the_published_thresholds(double centroid, double ratio, SpectralClass expected) =>
        Assert.Equal(expected, KernelSpectrum.Classify(centroid, ratio));

    [Fact]
    public void One_real_S4D_mode_is_a_scaled_exponential_with_the_expected_pole()
    {
        // Given N = 1, Δ = 0.5, A = −0.5 (+0i), C = 1: C̃ = (e^{ΔA} − 1)/A and K[ℓ] = C̃·e^{ΔAℓ}
        double dt = 0.5, aRe = -0.5, pole = Math.Exp(dt * aRe), cTilde = (pole - 1) / aRe;
        var k = S4dKernel.Materialize(tensor(new float[,] { { 1f, 0f } }), tensor(new[] { (float)Math.Log(dt) }),
            tensor(new[] { (float)aRe }), tensor(new[] { 0f }), 64).to(ScalarType.Float64).flatten().data<double>().ToArray();
        for (int l = 0; l < 64; l++) Assert.Equal(cTilde * Math.Pow(pole, l), k[l], 6);
        var p = Assert.Single(S4dKernel.Poles(tensor(new[] { (float)Math.Log(dt) }), tensor(new[] { (float)aRe }), tensor(new[] { 0f })));
        Assert.Equal(pole, p.Magnitude, 6);
        Assert.Equal(0, p.Angle, 12);
        Assert.Equal(4.0, p.DecayLength, 4);                                            // −1/ln|e^{−0.25}|
    }

    [Fact]
    public void The_A_re_clamp_keeps_a_growing_mode_marginally_stable()
    {
        // A_re = +0.05 is clamped to −1e−4 (the fixture's layer-0 case): the pole stays inside the unit circle
        var p = Assert.Single(S4dKernel.Poles(tensor(new[] { 0f }), tensor(new[] { 0.05f }), tensor(new[] { 3f })));
        Assert.True(p.Magnitude < 1 && p.Magnitude > 0.9998, $"|pole| = {p.Magnitude}");
        Assert.Equal(1e4, p.DecayLength, 0);
    }
}
