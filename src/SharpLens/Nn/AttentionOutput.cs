// The output projection of attention, with the per-head result computed only when something hooks it.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>attn_out = Σ_h z_h W_O,hᵀ + b_O. When hook_result is active the per-head terms are materialised, hooked,
/// and summed, so patching a head's result changes the output.</summary>
public static class AttentionOutput
{
    /// <summary>z [batch, pos, head, d_head] through an nn.Linear-layout o_proj (weight [d_model, head·d_head]).</summary>
    public static Tensor Project(Tensor z, Linear oProj, HookPoint result)
    {
        long b = z.shape[0], p = z.shape[1], h = z.shape[2], dh = z.shape[3];
        if (!result.IsActive) return oProj.forward(z.reshape(b, p, h * dh));              // [batch, pos, d_model]
        var wo = oProj.weight.view(oProj.OutFeatures, h, dh);                               // [d_model, head, d_head]
        var perHead = result.Run(einsum("bphd,mhd->bphm", z, wo));                          // [batch, pos, head, d_model]
        var sum = perHead.sum(2);
        return oProj.bias is null ? sum : sum + oProj.bias;
    }

    /// <summary>Same for a Conv1D-layout projection (GPT-2: weight [head·d_head, d_model]).</summary>
    public static Tensor ProjectConv1D(Tensor z, Tensor weight, Tensor? bias, HookPoint result)
    {
        long b = z.shape[0], p = z.shape[1], h = z.shape[2], dh = z.shape[3];
        if (!result.IsActive) return Conv1D.Product(z.reshape(b, p, h * dh), weight, bias);
        var wo = weight.view(h, dh, weight.shape[1]);                                       // [head, d_head, d_model]
        var perHead = result.Run(einsum("bphd,hdm->bphm", z, wo));                          // [batch, pos, head, d_model]
        var sum = perHead.sum(2);
        return bias is null ? sum : sum + bias;
    }
}
