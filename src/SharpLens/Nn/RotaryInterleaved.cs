// Rotary position embedding in RoFormer's interleaved-pair layout. Reference: HF RoFormerSinusoidalPositionalEmbedding and
// RoFormerSelfAttention.apply_rotary_position_embeddings (pairs (2i, 2i+1) rotate by pos · 10000^(−2i/d_head)).
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>
/// RoFormer RoPE: angle_i(pos) = pos / 10000^(2i/d_head); x'[2i] = x[2i]·cos − x[2i+1]·sin, x'[2i+1] = x[2i+1]·cos + x[2i]·sin.
/// Angles are computed in float64 and rounded to float32 as HF's numpy table is, then cast to the activation dtype.
/// </summary>
public static class RotaryInterleaved
{
    static Tensor Angles64(Tensor positions, int dHead)                                  // positions [..] → [.., d_head/2]
    {
        if (dHead % 2 != 0) throw new ArgumentException($"rotary head dimension must be even, found {dHead}");
        var exponents = arange(0, dHead, 2, dtype: ScalarType.Float64, device: positions.device) / dHead;
        return positions.to(ScalarType.Float64).unsqueeze(-1) / pow(10000.0, exponents);
    }

    /// <summary>cos and sin for positions [batch, pos], each [batch, pos, d_head] with every value repeated for its pair.</summary>
    public static (Tensor Cos, Tensor Sin) Angles(Tensor positions, int dHead, ScalarType dtype)
    {
        var a = Angles64(positions, dHead);                                                 // [batch, pos, d_head/2]
        var cos = a.cos().to(ScalarType.Float32).repeat_interleave(2, dim: -1);             // [c0, c0, c1, c1, …]
        var sin = a.sin().to(ScalarType.Float32).repeat_interleave(2, dim: -1);
        return (cos.to(dtype), sin.to(dtype));
    }

    /// <summary>Rotates x [batch, pos, head, d_head] with cos/sin [batch, pos, d_head].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        long d = x.shape[^1];
        var even = x.slice(-1, 0, d, 2);                                                    // x0, x2, …
        var odd = x.slice(-1, 1, d, 2);                                                     // x1, x3, …
        var rotated = stack([-odd, even], -1).reshape(x.shape);                             // [−x1, x0, −x3, x2, …]
        return x * cos.unsqueeze(2) + rotated * sin.unsqueeze(2);
    }

    /// <summary>HF's <c>embed_positions.weight</c> [max_positions, d_head]: sin of every angle, then cos (for saving HF folders).</summary>
    public static Tensor SinusoidalTable(int maxPositions, int dHead)
    {
        var a = Angles64(arange(maxPositions, dtype: ScalarType.Int64), dHead);
        return cat([a.sin(), a.cos()], -1).to(ScalarType.Float32);
    }
}
