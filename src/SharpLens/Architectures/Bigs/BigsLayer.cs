// One BiGS layer: pre-LN, gated bidirectional S4D (forward and backward kernel), every step a hook site.
// Reference: jxiw/BiGS BiGS/modeling_bigs.py BiGSLayer.__call__ and S4dLayer.forward.
// Deviation: with an attention mask, the SSM inputs are zeroed at padded positions and the backward SSM reverses each
//            sequence's real tokens (not the padded tensor), so padding never leaks; without a mask it is exactly BiGS.
using SharpLens.Hooks;
using SharpLens.Nn;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Bigs;

/// <summary>
/// The BiGS hook sites (paths under <c>blocks.{l}.</c>). <c>fwd.hook_ssm_out</c> / <c>bwd.hook_ssm_out</c> are the
/// fixture's names for fs4/bs4 outputs (K∗u + D·u); <c>ssm.fwd.hook_kernel_out</c> / <c>ssm.bwd.hook_kernel_out</c>
/// (the names) are the convolution alone, K∗u, before the D skip. Every bwd site is in reversed time, as bs4
/// sees it. <c>fwd.hook_kernel</c> is the kernel the pass convolves with, [1, pos]; the fixture's
/// <c>fwd.kernel</c> (any length) is served by <see cref="BigsForMaskedLM.Derived"/>.
/// </summary>
public static class BigsSite
{
    public static readonly HookSite LnNormalized = Site.Of("ln.hook_normalized", "[batch, pos, d_model]");
    public static readonly HookSite V = Site.Of("hook_v", "[batch, pos, d_mlp]");
    public static readonly HookSite FwdU = Site.Of("fwd.hook_u", "[batch, pos, d_model]");
    public static readonly HookSite BwdU = Site.Of("bwd.hook_u", "[batch, pos, d_model] (reversed time)");
    public static readonly HookSite FwdKernel = Site.Of("fwd.hook_kernel", "[1, pos]");
    public static readonly HookSite BwdKernel = Site.Of("bwd.hook_kernel", "[1, pos]");
    public static readonly HookSite FwdKernelOut = Site.Of("ssm.fwd.hook_kernel_out", "[batch, pos, d_model]");
    public static readonly HookSite BwdKernelOut = Site.Of("ssm.bwd.hook_kernel_out", "[batch, pos, d_model] (reversed time)");
    public static readonly HookSite FwdSsmOut = Site.Of("fwd.hook_ssm_out", "[batch, pos, d_model]");
    public static readonly HookSite BwdSsmOut = Site.Of("bwd.hook_ssm_out", "[batch, pos, d_model] (reversed time)");
    public static readonly HookSite FwdConvOut = Site.Of("fwd.hook_conv_out", "[batch, pos, d_model]");
    public static readonly HookSite BwdConvOut = Site.Of("bwd.hook_conv_out", "[batch, pos, d_model] (reversed time)");
    public static readonly HookSite Gate = Site.Of("hook_gate", "[batch, pos, d_model]");
}

/// <summary>BiGS S4dLayer: y = causal_conv(u, K)[:T] + D·u with one kernel K [1, L] shared by all channels.</summary>
public sealed class S4dLayer : nn.Module
{
    public readonly Parameter D;                                                              // [1]
    public readonly S4dKernelParameters kernel;

    public S4dLayer(int numSsm, string name) : base(name)
    {
        D = new Parameter(Params.Empty(1));
        kernel = new S4dKernelParameters(numSsm);
        RegisterComponents();
    }
}

/// <summary>CodeSSM-HF: a short causal depthwise convolution beside an S4D branch, merged by sum or by a sigmoid gate.</summary>
public sealed class ShortConvPath : nn.Module
{
    public readonly CausalDepthwiseConv conv;
    public readonly Parameter? gate;                                                          // [d_model], conv_merge = gate

    public ShortConvPath(int dModel, int kernelSize, bool gated, string name) : base(name)
    {
        conv = new CausalDepthwiseConv(dModel, kernelSize, hasBias: true, name: "conv");
        if (gated) gate = new Parameter(Params.Empty(dModel));
        RegisterComponents();
    }

    /// <summary>ssm + conv (sum) or ssm + sigmoid(gate) ⊙ conv (gate).</summary>
    public Tensor Merge(Tensor ssm, Tensor convOut) => gate is null ? ssm + convOut : ssm + gate.sigmoid() * convOut;
}

/// <summary>
/// h = LN(x); v = gelu(dv h); u_f = gelu(du_forward h); u_b = gelu(du_backward flip(h)); f = fs4(u_f); b = bs4(u_b);
/// out = do(gelu(dol(duc_forward f ⊙ flip(duc_backward b))) ⊙ v); x + out. gelu is the erf form.
/// </summary>
public sealed class BigsLayer : nn.Module
{
    public readonly Nn.LayerNorm LayerNorm;
    public readonly S4dLayer fs4, bs4;
    public readonly Linear dv, du_forward, du_backward, duc_forward, duc_backward, dol, @do;
    public readonly ShortConvPath? fconv, bconv;
    readonly HookPoint residPre, lnNormalized, hV, fU, bU, fKernel, bKernel, fKernelOut, bKernelOut, fSsmOut, bSsmOut,
        fConvOut, bConvOut, hGate, mixerOut, residPost;

    public BigsLayer(BigsConfig c, int layer, Func<HookSite, HookPoint> hook) : base($"layer.{layer}")
    {
        residPre = hook(Site.ResidPre);
        LayerNorm = new Nn.LayerNorm(c.DModel, c.LayerNormEps);
        lnNormalized = hook(BigsSite.LnNormalized);
        fs4 = new S4dLayer(c.NumSsm, "fs4");
        bs4 = new S4dLayer(c.NumSsm, "bs4");
        dv = new Linear(c.DModel, c.DMlp, true);
        du_forward = new Linear(c.DModel, c.DModel, true);
        du_backward = new Linear(c.DModel, c.DModel, true);
        duc_forward = new Linear(c.DModel, c.DModel, true);
        duc_backward = new Linear(c.DModel, c.DModel, true);
        dol = new Linear(c.DModel, c.DMlp, true);
        @do = new Linear(c.DMlp, c.DModel, true);
        if (c.HasConv)
        {
            fconv = new ShortConvPath(c.DModel, c.ConvKernelSize!.Value, c.ConvMerge == "gate", "fconv");
            bconv = new ShortConvPath(c.DModel, c.ConvKernelSize!.Value, c.ConvMerge == "gate", "bconv");
        }
        hV = hook(BigsSite.V);
        fU = hook(BigsSite.FwdU);
        bU = hook(BigsSite.BwdU);
        fKernel = hook(BigsSite.FwdKernel);
        bKernel = hook(BigsSite.BwdKernel);
        fKernelOut = hook(BigsSite.FwdKernelOut);
        bKernelOut = hook(BigsSite.BwdKernelOut);
        fSsmOut = hook(BigsSite.FwdSsmOut);
        bSsmOut = hook(BigsSite.BwdSsmOut);
        // the conv sites exist whether or not the conv path is configured (no hooks that come and go with config);
        // without the path they see zeros of the right shape and replacing them is an error-free no-op
        fConvOut = hook(BigsSite.FwdConvOut);
        bConvOut = hook(BigsSite.BwdConvOut);
        hGate = hook(BigsSite.Gate);
        mixerOut = hook(Site.MixerOut);
        residPost = hook(Site.ResidPost);
        RegisterComponents();
    }

    /// <summary>x [batch, pos, d_model]; order reverses each sequence's real tokens; mask/maskRev [batch, pos, 1] or null.</summary>
    public Tensor Forward(Tensor x, Reversal order, Tensor? mask, Tensor? maskRev)
    {
        x = residPre.Run(x);
        var h = lnNormalized.Run(LayerNorm.forward(x));                                      // [batch, pos, d_model]
        var v = hV.Run(nn.functional.gelu(dv.forward(h)));                                   // gate v [batch, pos, d_mlp]
        var uf = nn.functional.gelu(du_forward.forward(h));
        var ub = nn.functional.gelu(du_backward.forward(order.Apply(h)));                    // reversed time
        uf = fU.Run(mask is null ? uf : uf * mask);                                          // padding enters no SSM
        ub = bU.Run(maskRev is null ? ub : ub * maskRev);
        var f = Ssm(fs4, fconv, uf, fKernel, fKernelOut, fSsmOut, fConvOut);                 // [batch, pos, d_model]
        var b = Ssm(bs4, bconv, ub, bKernel, bKernelOut, bSsmOut, bConvOut);                 // reversed time
        var gate = hGate.Run(duc_forward.forward(f) * order.Undo(duc_backward.forward(b)));  // [batch, pos, d_model]
        var out_ = mixerOut.Run(@do.forward(nn.functional.gelu(dol.forward(gate)) * v));    // [batch, pos, d_model]
        return residPost.Run(x + out_);
    }

    static Tensor Ssm(S4dLayer s4, ShortConvPath? conv, Tensor u, HookPoint kernelHook, HookPoint kernelOut, HookPoint ssmOut, HookPoint convOut)
    {
        var k = kernelHook.Run(s4.kernel.Materialize(u.shape[1]));                          // [1, pos]
        var ku = kernelOut.Run(S4dKernel.CausalConvolve(u, k));                             // K * u [batch, pos, d_model]
        var y = ssmOut.Run(ku + u * s4.D);                                                   // + D·u
        if (conv is null)
        {
            if (convOut.IsActive) convOut.Run(zeros_like(y));
            return y;
        }
        return conv.Merge(y, convOut.Run(conv.conv.forward(u)));
    }
}

/// <summary>
/// The time reversal of the backward SSM. Without padding it is flip(pos); with a mask it maps reversed index j to
/// each sequence's (n−1−j)-th real token for j &lt; n and to its padded positions after that.
/// </summary>
public sealed class Reversal
{
    readonly Tensor? index, inverse;                                                         // [batch, pos] int64

    Reversal(Tensor? index, Tensor? inverse) { this.index = index; this.inverse = inverse; }

    public static Reversal For(Tensor? attentionMask, long pos)
    {
        if (attentionMask is null) return new Reversal(null, null);
        var m = attentionMask.to(ScalarType.Bool);
        var p = arange(pos, dtype: ScalarType.Int64, device: m.device).unsqueeze(0).expand(m.shape[0], pos);
        var key = where(m, -p, p + pos);                                                     // real tokens latest-first, then padding
        var idx = key.argsort(1);
        return new Reversal(idx, idx.argsort(1));
    }

    /// <summary>x [batch, pos, …] in reversed time.</summary>
    public Tensor Apply(Tensor x) => index is null ? x.flip(1) : Gather(x, index);

    /// <summary>Back to forward time.</summary>
    public Tensor Undo(Tensor x) => inverse is null ? x.flip(1) : Gather(x, inverse);

    static Tensor Gather(Tensor x, Tensor idx)
    {
        var shape = x.shape.ToArray();
        var i = idx.view([idx.shape[0], idx.shape[1], .. Enumerable.Repeat(1L, shape.Length - 2)]).expand(shape);
        return x.gather(1, i);
    }
}
