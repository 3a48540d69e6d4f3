// Rotary position embedding in HF's rotate_half layout (Reference: HF LlamaRotaryEmbedding, apply_rotary_pos_emb).
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>
/// RoPE: inv_freq = θ^(−(0,2,4,…)/rotary_dim); angle = (position / linear_factor) · inv_freq; emb = cat(freqs, freqs);
/// x·cos + rotate_half(x)·sin. cos/sin are computed in float32 and cast to the activation dtype, as HF does.
/// </summary>
public sealed class Rotary
{
    readonly Tensor invFreq;                 // [rotary_dim/2] float32
    public int RotaryDim { get; }
    public double Theta { get; }
    public double LinearFactor { get; }

    public Rotary(int rotaryDim, double theta, double linearFactor = 1.0)
    {
        if (rotaryDim % 2 != 0) throw new ArgumentException($"rotary dimension must be even, found {rotaryDim}");
        RotaryDim = rotaryDim; Theta = theta; LinearFactor = linearFactor;
        using var scope = NewDisposeScope();
        var exponents = arange(0, rotaryDim, 2, dtype: ScalarType.Int64).to(ScalarType.Float32) / rotaryDim;
        invFreq = (1.0 / pow(theta, exponents)).to(ScalarType.Float32).MoveToOuterDisposeScope();
        invFreq.DetachFromDisposeScope();
    }

    /// <summary>cos and sin for positions [batch, pos] (int64) → each [batch, pos, rotary_dim] in <paramref name="dtype"/>.</summary>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positions, ScalarType dtype)
    {
        var pos = positions.to(ScalarType.Float32) / LinearFactor;                        // [batch, pos]
        var freqs = pos.unsqueeze(-1) * invFreq.to(positions.device);                       // [batch, pos, rotary_dim/2]
        var emb = cat([freqs, freqs], -1);                                                  // [batch, pos, rotary_dim]
        return (emb.cos().to(dtype), emb.sin().to(dtype));
    }

    /// <summary>Applies RoPE to x [batch, pos, head, d_head] with cos/sin [batch, pos, rotary_dim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var c = cos.unsqueeze(2);                                                           // [batch, pos, 1, rotary_dim]
        var s = sin.unsqueeze(2);
        long rd = cos.shape[^1];
        if (rd == x.shape[^1]) return x * c + RotateHalf(x) * s;
        var rot = x.narrow(-1, 0, rd);
        var pass = x.narrow(-1, rd, x.shape[^1] - rd);
        return cat([rot * c + RotateHalf(rot) * s, pass], -1);
    }

    static Tensor RotateHalf(Tensor x)
    {
        long half = x.shape[^1] / 2;
        return cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
    }
}
