// SSM-Interpret over a whole model: every S4D kernel (BiGS) or every layer's effective kernel (Mamba), and comparisons.
using SharpLens.Architectures.Bigs;
using SharpLens.Architectures.Mamba;
using SharpLens.Nn;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Spectra;

/// <summary>One analysed kernel: where it lives, its metrics, its poles (S4D only), the kernel and its magnitude response.</summary>
public sealed record KernelEntry(int Layer, string Direction, SpectrumMetrics Metrics, IReadOnlyList<Pole> Poles,
    double[] Kernel, double[] Magnitude)
{
    /// <summary>For effective kernels: how many of the layer's channels fall in each class (per-channel kernels).</summary>
    public IReadOnlyDictionary<string, int>? ChannelClasses { get; init; }
}

/// <summary>The kernels of one model. Kind is "s4d" (materialised parameters) or "mamba-effective" (input-dependent).</summary>
public sealed record ModelKernels(string Label, string Architecture, string Kind, int Length, string Method, IReadOnlyList<KernelEntry> Kernels);

/// <summary>The change of one (layer, direction) kernel between a baseline and another model.</summary>
public sealed record KernelChange(int Layer, string Direction, string Other, SpectrumMetrics Before, SpectrumMetrics After)
{
    public double CentroidChange => After.Centroid - Before.Centroid;
    public double RatioChange => After.Log10LowHighRatio - Before.Log10LowHighRatio;
    public bool ClassChanged => Before.Class != After.Class;
}

/// <summary>Runs the spectral procedure on models.</summary>
public static class SsmKernelAnalysis
{
    public const string S4dMethod =
        "S4D kernels materialised from the parameters with S4dKernel.Materialize (the function the forward pass convolves with), " +
        "|rfft(K)| with no window and no normalisation, f = k/L cycles/token.";
    public const string MambaMethod =
        "Mamba: effective input-dependent kernels K_d[ℓ] = mean over positions s and inputs of Σ_n C_{s+ℓ}[n]·exp(A[d,n]·Σ_{r=s+1..s+ℓ}Δ_r[d])·Δ_s[d]·B_s[n], " +
        "from the cached mixer.hook_dt/hook_B/hook_C; linearised around the observed Δ/B/C, ignoring the conv, the D skip and the gate; " +
        "the layer kernel is the mean over channels, analysed at the number of observed lags.";

    /// <summary>Every fwd/bwd S4D kernel of a BiGS model materialised at <paramref name="length"/>.</summary>
    public static ModelKernels Bigs(BigsForMaskedLM model, string label, int length)
    {
        if (length < 2) throw new ArgumentException($"kernel length must be ≥ 2, found {length}");
        var entries = new List<KernelEntry>();
        using var _ = no_grad();
        int l = 0;
        foreach (var layer in model.bigs.encoder.Layers)
        {
            foreach (var (dir, s4) in new[] { ("fwd", layer.fs4), ("bwd", layer.bs4) })
            {
                using var scope = NewDisposeScope();
                var k = s4.kernel.Materialize(length).to(ScalarType.Float64).flatten().data<double>().ToArray();
                var mag = KernelSpectrum.Magnitude(k);
                var poles = S4dKernel.Poles(s4.kernel.log_step, s4.kernel.A_re, s4.kernel.A_im)
                    .Select(p => new Pole(p.Magnitude, p.Angle, p.DecayLength)).ToList();
                entries.Add(new KernelEntry(l, dir, KernelSpectrum.FromMagnitude(mag, length), poles, k, mag));
            }
            l++;
        }
        return new ModelKernels(label, model.Info.Architecture, "s4d", length, S4dMethod, entries);
    }

    /// <summary>Each Mamba layer's effective kernel over <paramref name="inputs"/> (lags capped at <paramref name="length"/>).</summary>
    public static ModelKernels Mamba(MambaForCausalLM model, string label, int length, IEnumerable<long[]> inputs)
    {
        var effective = EffectiveKernels.Compute(model, inputs, length);
        var entries = new List<KernelEntry>();
        foreach (var e in effective)
        {
            var k = e.ChannelMean();
            var mag = KernelSpectrum.Magnitude(k);
            var classes = Enum.GetValues<SpectralClass>().ToDictionary(KernelSpectrum.Name, _ => 0);
            for (int d = 0; d < e.PerChannel.GetLength(0); d++)
                classes[KernelSpectrum.Name(KernelSpectrum.Analyze(e.Channel(d)).Class)]++;
            entries.Add(new KernelEntry(e.Layer, "causal", KernelSpectrum.FromMagnitude(mag, k.Length), [], k, mag) { ChannelClasses = classes });
        }
        return new ModelKernels(label, model.Info.Architecture, "mamba-effective", effective.Count == 0 ? 0 : effective[0].Lags, MambaMethod, entries);
    }

    /// <summary>Per (layer, direction) changes from <paramref name="baseline"/> to <paramref name="other"/> (only kernels both have).</summary>
    public static IReadOnlyList<KernelChange> Compare(ModelKernels baseline, ModelKernels other)
    {
        var byKey = other.Kernels.ToDictionary(k => (k.Layer, k.Direction));
        return baseline.Kernels.Where(k => byKey.ContainsKey((k.Layer, k.Direction)))
            .Select(k => new KernelChange(k.Layer, k.Direction, other.Label, k.Metrics, byKey[(k.Layer, k.Direction)].Metrics)).ToList();
    }

    /// <summary>Deterministic random token sequences (when no inputs are given for a selective SSM).</summary>
    public static IReadOnlyList<long[]> RandomInputs(int vocab, int count, int length, int seed = 0)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, length).Select(_ => (long)rng.Next(vocab)).ToArray()).ToList();
    }
}
