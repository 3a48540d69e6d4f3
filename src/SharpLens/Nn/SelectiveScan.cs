// Mamba's selective scan, sequential (Reference: HF MambaMixer.slow_forward; mamba-minimal selective_scan).
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
    /// <param name="u">[batch, pos, d_inner]</param>
    /// <param name="dt">Δ [batch, pos, d_inner] (already softplus'd and masked)</param>
    /// <param name="a">A [d_inner, d_state] (negative)</param>
    /// <param name="b">B [batch, pos, d_state]</param>
    /// <param name="c">C [batch, pos, d_state]</param>
    /// <param name="keepStates">also return h_t for every position [batch, pos, d_inner, d_state]</param>
    public static ScanResult Run(Tensor u, Tensor dt, Tensor a, Tensor b, Tensor c, bool keepStates)
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
        var y = pos == 0 ? zeros(batch, 0, dInner, dtype: f32, device: u.device) : stack(ys, 1); // [batch, pos, d_inner]
        return new ScanResult(y, h, states is null ? null : pos == 0 ? zeros(batch, 0, dInner, dState, dtype: f32, device: u.device) : stack(states, 1));
    }

    /// <summary>y_t = C_t·h_t from given states [batch, pos, d_inner, d_state] (used when the states are hooked, so patches take effect).</summary>
    public static Tensor Readout(Tensor states, Tensor c) =>
        states.matmul(c.to(states.dtype).unsqueeze(-1)).squeeze(-1);                         // [batch, pos, d_inner]
}
