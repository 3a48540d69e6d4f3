// Input-dependent effective convolution kernels of a selective SSM (Mamba), averaged over positions and inputs.
using SharpLens.Architectures.Mamba;
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Spectra;

/// <summary>
/// Effective kernels of one Mamba layer: per channel d and lag ℓ, K_d[ℓ] averaged over every (s, t = s+ℓ) pair of
/// every input, plus the number of pairs that entered each lag.
/// </summary>
internal sealed record EffectiveKernel(int Layer, double[,] PerChannel, long[] PairsPerLag)
{
    /// <summary>Number of lags measured.</summary>
    public int Lags => PerChannel.GetLength(1);

    /// <summary>The layer's kernel: the mean over channels of the per-channel kernels.</summary>
    public double[] ChannelMean()
    {
        int d = PerChannel.GetLength(0), l = Lags;
        var k = new double[l];
        for (int c = 0; c < d; c++) for (int j = 0; j < l; j++) k[j] += PerChannel[c, j] / d;
        return k;
    }

    public double[] Channel(int d) => Enumerable.Range(0, Lags).Select(j => PerChannel[d, j]).ToArray();
}

/// <summary>
/// Method. A selective SSM is a linear time-varying system: with Δ, B, C fixed at the values a run produced, the
/// response of channel d at position t to a unit impulse in u at position s ≤ t is
/// K_d[s→t] = Σ_n C_t[n] · (Π_{r=s+1..t} exp(Δ_r[d]·A[d,n])) · Δ_s[d] · B_s[n]
///          = Σ_n C_t[n] · exp(A[d,n]·(S_t[d] − S_s[d])) · Δ_s[d] · B_s[n],  S_t = Σ_{r≤t} Δ_r.
/// We average K_d[s→s+ℓ] over all s of all inputs to get a time-invariant kernel per lag ℓ, then apply the S4D spectral
/// metrics. Assumptions: (1) linearisation around the observed Δ/B/C: Δ, B and C themselves depend on u, which this
/// ignores; (2) the depthwise conv before the SSM, the D·u skip and the silu(z) gate are not part of the kernel;
/// (3) averaging over positions treats the system as stationary, which it is not; lags beyond the longest input are
/// not observed (the kernel has as many lags as the longest input, capped by maxLag).
/// Δ, B and C are read from the hooks mixer.hook_dt / hook_B / hook_C of cached runs, one input at a time, unpadded.
/// </summary>
internal static class EffectiveKernels
{
    /// <summary>Effective kernels of every layer over <paramref name="inputs"/> (token id sequences), lags 0..maxLag−1.</summary>
    public static IReadOnlyList<EffectiveKernel> Compute(MambaForCausalLM model, IEnumerable<long[]> inputs, int maxLag)
    {
        if (maxLag < 2) throw new ArgumentException($"maxLag must be ≥ 2, found {maxLag}");
        var c = model.Config;
        var sums = new double[c.NLayers][,];
        var counts = new long[maxLag];
        int observed = 0;
        for (int l = 0; l < c.NLayers; l++) sums[l] = new double[c.DInner, maxLag];
        var filter = HookFilter.Sites(MambaSite.Dt, MambaSite.B, MambaSite.C);
        var blocks = model.backbone.Blocks.ToList();
        int nInputs = 0;
        foreach (var ids in inputs)
        {
            if (ids.Length == 0) continue;
            nInputs++;
            using var scope = NewDisposeScope();
            using var cache = model.RunWithCache(tensor(ids, dtype: ScalarType.Int64).unsqueeze(0), filter, dtype: ScalarType.Float32);
            int t = ids.Length, lags = Math.Min(t, maxLag);
            observed = Math.Max(observed, lags);
            for (int j = 0; j < lags; j++) counts[j] += t - j;
            for (int l = 0; l < c.NLayers; l++)
            {
                using var _ = no_grad();
                var dt = cache[$"blocks.{l}.mixer.hook_dt"].select(0, 0).to(ScalarType.Float64);     // [pos, d_inner]
                var b = cache[$"blocks.{l}.mixer.hook_B"].select(0, 0).to(ScalarType.Float64);       // [pos, d_state]
                var cc = cache[$"blocks.{l}.mixer.hook_C"].select(0, 0).to(ScalarType.Float64);      // [pos, d_state]
                var a = blocks[l].mixer.A.to(ScalarType.Float64);                           // [d_inner, d_state]
                var s = dt.cumsum(0);                                                       // S_t [pos, d_inner]
                var drive = dt.unsqueeze(-1) * b.unsqueeze(1);                              // Δ_s·B_s [pos, d_inner, d_state]
                for (int lag = 0; lag < lags; lag++)
                {
                    long n = t - lag;
                    var gap = s.narrow(0, lag, n) - s.narrow(0, 0, n);                     // S_{s+ℓ} − S_s [n, d_inner]
                    var decay = (gap.unsqueeze(-1) * a).exp();                              // [n, d_inner, d_state]
                    var k = (cc.narrow(0, lag, n).unsqueeze(1) * decay * drive.narrow(0, 0, n)).sum(-1).sum(dim: 0); // [d_inner]
                    var kv = k.data<double>().ToArray();
                    for (int d = 0; d < kv.Length; d++) sums[l][d, lag] += kv[d];
                }
            }
        }
        if (nInputs == 0) throw new ArgumentException("effective kernels need at least one non-empty input");
        var result = new List<EffectiveKernel>();
        for (int l = 0; l < c.NLayers; l++)
        {
            var avg = new double[c.DInner, observed];
            for (int d = 0; d < c.DInner; d++)
                for (int j = 0; j < observed; j++) avg[d, j] = sums[l][d, j] / counts[j];
            result.Add(new EffectiveKernel(l, avg, counts.Take(observed).ToArray()));
        }
        return result;
    }
}
