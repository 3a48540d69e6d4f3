// Mamba's selective scan: chunked (parallel within chunks) by default, sequential as the reference.
// Reference: HF MambaMixer.slow_forward and mamba-minimal selective_scan (the sequential form); the chunked form has the
//            chunk-then-recur structure of Mamba-2's SSD "chunked" algorithm, with an odd–even (Blelloch-style)
//            associative scan inside each chunk, since Mamba-1's decay is per (d_inner, d_state) channel.
// Deviation: none in the result (equal to the sequential scan to float32 rounding). Decays are multiplied in linear
//            space (products of values in (0, 1]): no exp of a positive number and no difference of large cumsums.
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>The scan's outputs: y (before the D skip), the final state and, on request, every state.</summary>
public sealed record ScanResult(Tensor Y, Tensor LastState, Tensor? States);

/// <summary>
/// h_t = exp(Δ_t·A) ⊙ h_{t−1} + Δ_t·B_t·u_t, y_t = C_t·h_t, h_0 = 0, in float32 (as HF). A position with Δ = 0 leaves
/// the state untouched (decay 1, no input): that is how padding is skipped.
/// </summary>
public static class SelectiveScan
{
    static readonly AsyncLocal<int?> Chunk = new();
    static readonly AsyncLocal<bool> Sequential = new();

    /// <summary>
    /// Chunk length of <see cref="Run"/> for the current flow (per async flow, like <see cref="Precision"/>). On a CPU the
    /// associative scan's extra work (log₂ chunk levels) costs more than it saves, so short chunks are fastest: the
    /// default 4 beat 8–64 for training at the bench shape (docs/benchmarks.md).
    /// </summary>
    public static int ChunkSize
    {
        get => Chunk.Value ?? 4;
        set => Chunk.Value = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "chunk length must be at least 1");
    }

    /// <summary>Debugging switch for the current flow: when true, <see cref="Run"/> uses the position-by-position reference scan.</summary>
    public static bool UseSequential { get => Sequential.Value; set => Sequential.Value = value; }

    /// <summary>The scan the model uses: <see cref="RunChunked"/> with <see cref="ChunkSize"/>, or <see cref="RunSequential"/> when <see cref="UseSequential"/>.</summary>
    /// <param name="u">[batch, pos, d_inner]</param>
    /// <param name="dt">Δ [batch, pos, d_inner] (already softplus'd and masked)</param>
    /// <param name="a">A [d_inner, d_state] (negative)</param>
    /// <param name="b">B [batch, pos, d_state]</param>
    /// <param name="c">C [batch, pos, d_state]</param>
    /// <param name="keepStates">also return h_t for every position [batch, pos, d_inner, d_state]</param>
    public static ScanResult Run(Tensor u, Tensor dt, Tensor a, Tensor b, Tensor c, bool keepStates) =>
        UseSequential ? RunSequential(u, dt, a, b, c, keepStates) : RunChunked(u, dt, a, b, c, keepStates, ChunkSize);

    /// <summary>The reference: one recurrence step per position (arguments as <see cref="Run"/>).</summary>
    public static ScanResult RunSequential(Tensor u, Tensor dt, Tensor a, Tensor b, Tensor c, bool keepStates)
    {
        var f32 = ScalarType.Float32;
        long batch = u.shape[0], pos = u.shape[1], dInner = u.shape[2], dState = a.shape[1];
        var dtf = dt.to(f32).unsqueeze(-1);                                                  // [batch, pos, d_inner, 1]
        var decay = (dtf * a.to(f32)).exp();                                                 // [batch, pos, d_inner, d_state]
        var drive = dtf * b.to(f32).unsqueeze(2) * u.to(f32).unsqueeze(-1);                  // [batch, pos, d_inner, d_state]
        var cf = c.to(f32);
        var h = zeros(batch, dInner, dState, dtype: f32, device: u.device);                  // [batch, d_inner, d_state]
        var ys = new Tensor[pos];
        var states = keepStates ? new Tensor[pos] : null;
        for (long t = 0; t < pos; t++)
        {
            h = decay.select(1, t) * h + drive.select(1, t);
            ys[t] = h.matmul(cf.select(1, t).unsqueeze(-1)).squeeze(-1);                     // [batch, d_inner]
            if (states is not null) states[t] = h;
        }
        if (pos == 0) return Empty(batch, dInner, dState, u.device, keepStates);
        return new ScanResult(stack(ys, 1), h, states is null ? null : stack(states, 1));
    }

    /// <summary>
    /// The chunked scan (arguments as <see cref="Run"/>; <paramref name="chunk"/> ≥ 1 positions per chunk). The sequence
    /// is padded with Δ = 0 to whole chunks; inside a chunk an odd–even associative scan (⌈log₂ chunk⌉ levels, each on
    /// half as many positions) computes every state at once; across chunks a short recurrence carries the chunk-end state
    /// into the next chunk's first position. The working tensors are one chunk long, which keeps them in cache on a CPU.
    /// </summary>
    public static ScanResult RunChunked(Tensor u, Tensor dt, Tensor a, Tensor b, Tensor c, bool keepStates, int chunk)
    {
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "chunk length must be at least 1");
        var f32 = ScalarType.Float32;
        long batch = u.shape[0], pos = u.shape[1], dInner = u.shape[2], dState = a.shape[1];
        if (pos == 0) return Empty(batch, dInner, dState, u.device, keepStates);
        long q = Math.Min(chunk, pos), k = (pos + q - 1) / q, extra = k * q - pos;
        var af = a.to(f32);                                                                  // [d_inner, d_state]
        var dts = Chunks(dt.to(f32), k, q, extra);                                           // k × Δ [batch, q, d_inner], Δ = 0 at pads
        var us = Chunks(u.to(f32), k, q, extra);                                             // k × [batch, q, d_inner]
        var bs = Chunks(b.to(f32), k, q, extra);                                             // k × [batch, q, d_state]
        var cs = Chunks(c.to(f32), k, q, extra);                                             // k × [batch, q, d_state]
        var h = zeros(batch, dInner, dState, dtype: f32, device: u.device);                  // state before the chunk [batch, d_inner, d_state]
        var ys = new Tensor[k];
        var states = keepStates ? new Tensor[k] : null;
        for (long i = 0; i < k; i++)
        {
            var decay = (dts[i].unsqueeze(-1) * af).exp();                                  // exp(Δ·A) ∈ (0, 1] [batch, q, d_inner, d_state]
            var drive = (dts[i] * us[i]).unsqueeze(-1) * bs[i].unsqueeze(2);                 // Δ·u·B [batch, q, d_inner, d_state]
            var first = drive.narrow(1, 0, 1) + decay.narrow(1, 0, 1) * h.unsqueeze(1);      // the carried state enters at position 0
            var hs = OddEvenScan(decay, q == 1 ? first : cat([first, drive.narrow(1, 1, q - 1)], 1)); // [batch, q, d_inner, d_state]
            ys[i] = hs.matmul(cs[i].unsqueeze(-1)).squeeze(-1);                              // C·h_t [batch, q, d_inner]
            if (states is not null) states[i] = hs;
            h = hs.select(1, q - 1);                                                         // pads (decay 1, drive 0) keep it equal to h at pos − 1
        }
        return new ScanResult(cat(ys, 1).narrow(1, 0, pos), h, states is null ? null : cat(states, 1).narrow(1, 0, pos));
    }

    /// <summary>h_t = a_t ⊙ h_{t−1} + x_t from h_{−1} = 0 along dim 1 of [batch, L, d_inner, d_state], by pairing positions.</summary>
    static Tensor OddEvenScan(Tensor a, Tensor x)
    {
        long len = x.shape[1];
        if (len == 1) return x;
        if (len % 2 == 1)                                                                    // scan all but the last, then one step
        {
            var head = OddEvenScan(a.narrow(1, 0, len - 1), x.narrow(1, 0, len - 1));
            return cat([head, x.narrow(1, len - 1, 1) + a.narrow(1, len - 1, 1) * head.narrow(1, len - 2, 1)], 1);
        }
        long half = len / 2, batch = x.shape[0], dInner = x.shape[2], dState = x.shape[3];
        var ap = a.view(batch, half, 2, dInner, dState);                                     // (even, odd) pairs
        var xp = x.view(batch, half, 2, dInner, dState);
        Tensor ae = ap.select(2, 0), ao = ap.select(2, 1), xe = xp.select(2, 0), xo = xp.select(2, 1); // [batch, half, d_inner, d_state]
        var odd = OddEvenScan(ao * ae, xo + ao * xe);                                        // states at the odd positions: pairs combined, then scanned
        var even = half == 1 ? xe : cat([xe.narrow(1, 0, 1), xe.narrow(1, 1, half - 1) + ae.narrow(1, 1, half - 1) * odd.narrow(1, 0, half - 1)], 1);
        return stack([even, odd], 2).view(batch, len, dInner, dState);                       // interleave back [batch, len, d_inner, d_state]
    }

    /// <summary>y_t = C_t·h_t from given states [batch, pos, d_inner, d_state] (used when the states are hooked, so patches take effect).</summary>
    public static Tensor Readout(Tensor states, Tensor c) =>
        states.matmul(c.to(states.dtype).unsqueeze(-1)).squeeze(-1);                         // [batch, pos, d_inner]

    static Tensor[] Chunks(Tensor x, long k, long q, long extra) =>                           // [batch, pos, n] → k × [batch, q, n], zeros after the end
        (extra == 0 ? x : nn.functional.pad(x, [0, 0, 0, extra])).reshape(x.shape[0], k, q, x.shape[2]).unbind(1);

    static ScanResult Empty(long batch, long dInner, long dState, Device device, bool keepStates) => new(
        zeros(batch, 0, dInner, dtype: ScalarType.Float32, device: device),
        zeros(batch, dInner, dState, dtype: ScalarType.Float32, device: device),
        keepStates ? zeros(batch, 0, dInner, dState, dtype: ScalarType.Float32, device: device) : null);
}
