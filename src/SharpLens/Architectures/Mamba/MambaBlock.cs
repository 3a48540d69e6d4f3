// One Mamba layer (x + mixer(RMSNorm(x))) and its selective-SSM mixer, with every step a hook site.
// Reference: HF modeling_mamba.py MambaBlock.forward and MambaMixer.slow_forward (sequential scan).
// Deviation: padded positions get Δ = 0 in the scan (decay 1, no input), so padding anywhere leaves the state untouched;
//            HF only zeroes u, which is equivalent for left padding but lets right/middle padding decay the state.
using SharpLens.Hooks;
using SharpLens.Nn;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Mamba;

/// <summary>
/// The hook sites of the Mamba mixer (paths under <c>blocks.{l}.</c>). <c>hook_conv</c> is the causal conv output
/// with its bias, before silu; <c>hook_conv_out</c> (the fixture's name) is silu of it, the SSM input u.
/// <c>hook_ssm_states</c> [batch, pos, d_inner, d_state] is materialised only when hooked, and then y = C·h is read
/// from it, so patching it takes effect. <c>hook_ssm_out</c> includes D·u and precedes the silu(z) gate.
/// </summary>
public static class MambaSite
{
    public static readonly HookSite InProj = Site.Of("mixer.hook_in_proj", "[batch, pos, 2·d_inner]");
    public static readonly HookSite Conv = Site.Of("mixer.hook_conv", "[batch, pos, d_inner]");
    public static readonly HookSite ConvOut = Site.Of("mixer.hook_conv_out", "[batch, pos, d_inner]");
    public static readonly HookSite Dt = Site.Of("mixer.hook_dt", "[batch, pos, d_inner]");
    public static readonly HookSite B = Site.Of("mixer.hook_B", "[batch, pos, d_state]");
    public static readonly HookSite C = Site.Of("mixer.hook_C", "[batch, pos, d_state]");
    public static readonly HookSite SsmStates = Site.Of("mixer.hook_ssm_states", "[batch, pos, d_inner, d_state]");
    public static readonly HookSite SsmOut = Site.Of("mixer.hook_ssm_out", "[batch, pos, d_inner]");
    public static readonly HookSite SsmState = Site.Of("mixer.hook_ssm_state", "[batch, d_inner, d_state]");
}

/// <summary>HF MambaBlock: norm, mixer. Field names are HF's, so parameter names match checkpoints.</summary>
public sealed class MambaBlock : nn.Module
{
    public readonly RmsNorm norm;
    public readonly MambaMixer mixer;
    readonly HookPoint residPre, mixerOut, residPost;
    readonly bool residualInFp32;

    public MambaBlock(MambaConfig c, int layer, Func<HookSite, HookPoint> hook) : base($"layers.{layer}")
    {
        residualInFp32 = c.ResidualInFp32;
        residPre = hook(Site.ResidPre);
        norm = new RmsNorm(c.DModel, c.LayerNormEpsilon);
        mixer = new MambaMixer(c, hook);
        mixerOut = hook(Site.MixerOut);
        residPost = hook(Site.ResidPost);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor? mask)                                           // x: [batch, pos, d_model]
    {
        x = residPre.Run(x);
        var residual = residualInFp32 ? x.to(ScalarType.Float32) : x;
        var m = mixerOut.Run(mixer.Forward(norm.forward(x.to(norm.weight.dtype)), mask));   // [batch, pos, d_model]
        return residPost.Run(residual + m);
    }
}

/// <summary>
/// The selective SSM mixer. Glossary: u = SSM input (conv output after silu), z = gate, Δ = dt (per channel and
/// position), A = −exp(A_log) [d_inner, d_state], B/C = input-dependent [d_state] per position, D = skip.
/// </summary>
public sealed class MambaMixer : nn.Module
{
    public readonly Linear in_proj;
    public readonly CausalDepthwiseConv conv1d;
    public readonly Linear x_proj;
    public readonly Linear dt_proj;
    public readonly Parameter A_log;                                                         // [d_inner, d_state]
    public readonly Parameter D;                                                             // [d_inner]
    public readonly Linear out_proj;
    readonly HookPoint hInProj, hConv, hConvOut, hDt, hB, hC, hStates, hSsmOut, hState;
    readonly Func<Tensor, Tensor> act;
    readonly int dInner, dState, dtRank;

    public MambaMixer(MambaConfig c, Func<HookSite, HookPoint> hook) : base("mixer")
    {
        dInner = c.DInner; dState = c.DState; dtRank = c.DtRank;
        act = Activations.Get(c.HiddenAct, "config.json");
        in_proj = new Linear(c.DModel, 2L * c.DInner, c.UseBias);
        conv1d = new CausalDepthwiseConv(c.DInner, c.DConv, c.UseConvBias);
        x_proj = new Linear(c.DInner, c.DtRank + 2L * c.DState, false);
        dt_proj = new Linear(c.DtRank, c.DInner, true);
        A_log = new Parameter(Params.Empty(c.DInner, c.DState));
        D = new Parameter(Params.Empty(c.DInner));
        out_proj = new Linear(c.DInner, c.DModel, c.UseBias);
        hInProj = hook(MambaSite.InProj);
        hConv = hook(MambaSite.Conv);
        hConvOut = hook(MambaSite.ConvOut);
        hDt = hook(MambaSite.Dt);
        hB = hook(MambaSite.B);
        hC = hook(MambaSite.C);
        hStates = hook(MambaSite.SsmStates);
        hSsmOut = hook(MambaSite.SsmOut);
        hState = hook(MambaSite.SsmState);
        RegisterComponents();
    }

    /// <summary>A = −exp(A_log) in float32 [d_inner, d_state].</summary>
    public Tensor A => -A_log.to(ScalarType.Float32).exp();

    public Tensor Forward(Tensor x, Tensor? mask)                                           // x: [batch, pos, d_model]
    {
        var m = mask?.to(x.dtype).unsqueeze(-1);                                             // [batch, pos, 1]
        var xz = hInProj.Run(in_proj.forward(x));                                           // [batch, pos, 2·d_inner]
        var xs = xz.narrow(-1, 0, dInner);                                                  // [batch, pos, d_inner]
        var z = xz.narrow(-1, dInner, dInner);                                              // gate [batch, pos, d_inner]
        if (m is not null) xs = xs * m;                                                     // padding must not enter the conv window
        var conv = hConv.Run(conv1d.forward(xs));                                           // conv + bias, before silu
        var u = hConvOut.Run(act(conv));                                                    // SSM input u [batch, pos, d_inner]
        if (m is not null) u = u * m;
        var dbc = x_proj.forward(u);                                                        // [batch, pos, dt_rank + 2·d_state]
        var b = hB.Run(dbc.narrow(-1, dtRank, dState));                                     // [batch, pos, d_state]
        var c = hC.Run(dbc.narrow(-1, dtRank + dState, dState));                            // [batch, pos, d_state]
        var dt = hDt.Run(nn.functional.softplus(dt_proj.forward(dbc.narrow(-1, 0, dtRank)))); // Δ [batch, pos, d_inner]
        var dtScan = m is null ? dt : dt * m;                                               // Δ = 0 skips a padded position
        var scan = SelectiveScan.Run(u, dtScan, A, b, c, keepStates: hStates.IsActive);
        var yc = scan.States is null ? scan.Y : SelectiveScan.Readout(hStates.Run(scan.States), c); // C·h_t [batch, pos, d_inner]
        hState.Run(scan.LastState);                                                         // [batch, d_inner, d_state]
        var y = hSsmOut.Run((yc + u.to(ScalarType.Float32) * D.to(ScalarType.Float32)).to(x.dtype)); // incl. D·u, before the gate
        return out_proj.forward(y * act(z));                                                // [batch, pos, d_model]
    }
}
