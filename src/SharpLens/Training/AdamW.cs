// AdamW (Loshchilov & Hutter) over TorchSharp tensors, with state we own so checkpoints can restore it bit for bit.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>
/// AdamW with PyTorch's update order: p ← p·(1 − lr·wd) (decoupled decay), m ← β1·m + (1−β1)·g,
/// v ← β2·v + (1−β2)·g², p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).
/// Weight decay applies only to matrices that are not embeddings: parameters with fewer than 2 dimensions (norm
/// weights, biases, SSM vectors) and embedding tables (names containing "embed", "wte", "wpe"; a tied unembedding is
/// the embedding) are not decayed — the usual GPT/BERT recipe.
/// </summary>
public sealed class AdamW : IDisposable
{
    readonly List<(string Name, Parameter Param, bool Decay)> parameters;
    readonly Dictionary<string, Tensor> m = new(StringComparer.Ordinal), v = new(StringComparer.Ordinal);

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }
    /// <summary>Number of updates taken (t in the bias corrections).</summary>
    public long Step { get; private set; }

    public AdamW(IEnumerable<(string Name, Parameter Param)> named, double weightDecay, double beta1 = 0.9, double beta2 = 0.95, double eps = 1e-8)
    {
        parameters = named.Select(p => (p.Name, p.Param, Decays(p.Name, p.Param))).ToList();
        WeightDecay = weightDecay; Beta1 = beta1; Beta2 = beta2; Eps = eps;
        foreach (var (name, p, _) in parameters)
        {
            m[name] = zeros_like(p).DetachFromDisposeScope();
            v[name] = zeros_like(p).DetachFromDisposeScope();
        }
    }

    /// <summary>Whether a parameter gets weight decay (see the class remarks).</summary>
    public static bool Decays(string name, Tensor p) =>
        p.dim() >= 2 && !name.Contains("embed", StringComparison.Ordinal) && !name.Contains("wte", StringComparison.Ordinal)
        && !name.Contains("wpe", StringComparison.Ordinal);

    public IEnumerable<string> DecayedNames => parameters.Where(p => p.Decay).Select(p => p.Name);

    /// <summary>Clears gradients (in place, so every step accumulates into the same buffers).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p, _) in parameters)
            using (var g = p.grad) g?.zero_();
    }

    /// <summary>Scales gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public double ClipGradNorm(double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var grads = parameters.Select(p => p.Param.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        double norm = stack(grads.Select(g => g.to(ScalarType.Float64).pow(2).sum())).sum().sqrt().item<double>();
        if (maxNorm > 0 && norm > maxNorm)
        {
            double coef = maxNorm / (norm + 1e-6);
            foreach (var g in grads) g.mul_(coef);
        }
        return norm;
    }

    /// <summary>One update at learning rate <paramref name="lr"/>.</summary>
    public void Update(double lr)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Step++;
        double bc1 = 1 - Math.Pow(Beta1, Step), bc2 = 1 - Math.Pow(Beta2, Step);
        foreach (var (name, p, decay) in parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            if (decay && WeightDecay != 0) p.mul_(1 - lr * WeightDecay);
            m[name].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            v[name].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denom = (v[name].sqrt() / Math.Sqrt(bc2)).add_(Eps);
            p.addcdiv_(m[name], denom, value: -lr / bc1);
        }
    }

    /// <summary>The state as named tensors (m.*, v.*) plus the step, for checkpoints.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateTensors() =>
        parameters.SelectMany(p => new[] { ("adam_m." + p.Name, m[p.Name]), ("adam_v." + p.Name, v[p.Name]) });

    /// <summary>Restores the state written by <see cref="StateTensors"/> (exact copies).</summary>
    public void LoadState(Func<string, Tensor> load, long step)
    {
        using var _ = no_grad();
        foreach (var (name, p, _) in parameters)
        {
            foreach (var (prefix, dict) in new[] { ("adam_m.", m), ("adam_v.", v) })
            {
                using var t = load(prefix + name);
                if (!t.shape.SequenceEqual(p.shape) || t.dtype != p.dtype)
                    throw new InvalidDataException($"optimizer state {prefix}{name}: expected {p.dtype} [{string.Join(",", p.shape)}], found {t.dtype} [{string.Join(",", t.shape)}]");
                dict[name].copy_(t);
            }
        }
        Step = step;
    }

    public void Dispose()
    {
        foreach (var t in m.Values.Concat(v.Values)) t.Dispose();
        m.Clear(); v.Clear();
    }
}

/// <summary>Linear warmup to the peak rate, then cosine decay to the floor at the last step.</summary>
internal static class LrSchedule
{
    /// <summary>The rate for 0-based step <paramref name="step"/> of <paramref name="total"/>.</summary>
    public static double At(long step, long total, double peak, double min, long warmup)
    {
        if (step < warmup) return peak * (step + 1) / warmup;
        double progress = Math.Clamp((double)(step - warmup) / Math.Max(1, total - 1 - warmup), 0, 1);
        return min + 0.5 * (peak - min) * (1 + Math.Cos(Math.PI * progress));
    }
}
