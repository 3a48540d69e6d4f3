// One GPT-2 block with its hook sites. Reference: HF GPT2Block / GPT2Attention (eager) / GPT2MLP, modeling_gpt2.py.
using SharpLens.Hooks;
using SharpLens.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Gpt2;

/// <summary>x → x + attn(LN(x)) → + mlp(LN(·)). Field names are HF's (ln_1, attn, ln_2, mlp), so parameter names match.</summary>
public sealed class Gpt2Block : nn.Module
{
    public readonly LayerNorm ln_1;
    public readonly Gpt2Attention attn;
    public readonly LayerNorm ln_2;
    public readonly Gpt2Mlp mlp;
    readonly HookPoint residPre, ln1Scale, ln1Normalized, attnOut, residMid, ln2Scale, ln2Normalized, mlpOut, residPost;

    public Gpt2Block(Gpt2Config c, int layer, Func<HookSite, HookPoint> hook) : base($"h.{layer}")
    {
        residPre = hook(Site.ResidPre);
        ln1Scale = hook(Site.Ln1Scale);
        ln1Normalized = hook(Site.Ln1Normalized);
        ln_1 = new LayerNorm(c.DModel, c.LayerNormEpsilon);
        attn = new Gpt2Attention(c, layer, hook);
        attnOut = hook(Site.AttnOut);
        residMid = hook(Site.ResidMid);
        ln2Scale = hook(Site.Ln2Scale);
        ln2Normalized = hook(Site.Ln2Normalized);
        ln_2 = new LayerNorm(c.DModel, c.LayerNormEpsilon);
        mlp = new Gpt2Mlp(c, hook);
        mlpOut = hook(Site.MlpOut);
        residPost = hook(Site.ResidPost);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, AttentionMask mask)                                     // x: [batch, pos, d_model]
    {
        x = residPre.Run(x);
        var h = ln1Normalized.Run(ln_1.Forward(x, ln1Scale));
        var a = attnOut.Run(attn.Forward(h, mask));                                         // [batch, pos, d_model]
        var mid = residMid.Run(x + a);
        var h2 = ln2Normalized.Run(ln_2.Forward(mid, ln2Scale));
        var m = mlpOut.Run(mlp.Forward(h2));                                                // [batch, pos, d_model]
        return residPost.Run(mid + m);
    }
}

/// <summary>Causal multi-head attention with a fused Conv1D c_attn ([d_model, 3·d_model], split q | k | v).</summary>
public sealed class Gpt2Attention : nn.Module
{
    public readonly Conv1D c_attn, c_proj;
    readonly HookPoint hq, hk, hv, hScores, hPattern, hZ, hResult;
    readonly int nHeads, dHead, dModel;
    readonly double divisor;                 // sqrt(d_head) if scale_attn_weights, times (layer + 1) if by inverse layer idx
    readonly bool upcast, fusable;           // fusable: the fused kernel's 1/√d_head scaling and dtype are this layer's

    public Gpt2Attention(Gpt2Config c, int layer, Func<HookSite, HookPoint> hook) : base("attn")
    {
        nHeads = c.NHeads; dHead = c.DHead; dModel = c.DModel;
        divisor = (c.ScaleAttnWeights ? Math.Sqrt(dHead) : 1.0) * (c.ScaleAttnByInverseLayerIdx ? layer + 1 : 1);
        upcast = c.ReorderAndUpcastAttn;
        fusable = divisor == Math.Sqrt(dHead);
        c_attn = new Conv1D(c.DModel, 3 * c.DModel);
        c_proj = new Conv1D(c.DModel, c.DModel);
        hq = hook(Site.Q);
        hk = hook(Site.K);
        hv = hook(Site.V);
        hScores = hook(Site.AttnScores);
        hPattern = hook(Site.Pattern);
        hZ = hook(Site.Z);
        hResult = hook(Site.Result);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, AttentionMask mask)                                     // x: [batch, pos, d_model]
    {
        long b = x.shape[0], p = x.shape[1];
        var qkv = c_attn.forward(x);                                                        // [batch, pos, 3·d_model]
        var q = hq.Run(qkv.narrow(-1, 0, dModel).view(b, p, nHeads, dHead));               // [batch, pos, head, d_head]
        var k = hk.Run(qkv.narrow(-1, dModel, dModel).view(b, p, nHeads, dHead));
        var v = hv.Run(qkv.narrow(-1, 2 * dModel, dModel).view(b, p, nHeads, dHead));
        if (fusable && (!upcast || q.dtype == ScalarType.Float32) && FusedAttention.Applies(hScores, hPattern))
        {
            var zf = hZ.Run(FusedAttention.Run(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), mask).transpose(1, 2));
            return AttentionOutput.ProjectConv1D(zf, c_proj.weight, c_proj.bias, hResult);  // [batch, pos, d_model]
        }
        // reorder_and_upcast_attn: the same maths with q·k and softmax in float32 (a no-op for float32 weights)
        var qh = upcast ? q.to(ScalarType.Float32) : q;
        var kh = upcast ? k.to(ScalarType.Float32) : k;
        var scores = Precision.MatMul(qh.transpose(1, 2), kh.permute(0, 2, 3, 1)) / divisor; // [batch, head, q, k]
        scores = hScores.Run(Masks.Apply(scores, mask.Allowed));
        var pattern = hPattern.Run(scores.softmax(-1).to(v.dtype));                         // [batch, head, q, k]
        var z = hZ.Run(Precision.MatMul(pattern, v.transpose(1, 2)).transpose(1, 2));       // [batch, pos, head, d_head]
        return AttentionOutput.ProjectConv1D(z, c_proj.weight, c_proj.bias, hResult);       // [batch, pos, d_model]
    }
}

/// <summary>c_fc (Conv1D) → activation_function → c_proj (Conv1D).</summary>
public sealed class Gpt2Mlp : nn.Module
{
    public readonly Conv1D c_fc, c_proj;
    readonly HookPoint hPre, hPost;
    readonly Func<Tensor, Tensor> act;

    public Gpt2Mlp(Gpt2Config c, Func<HookSite, HookPoint> hook) : base("mlp")
    {
        c_fc = new Conv1D(c.DModel, c.DMlp);
        c_proj = new Conv1D(c.DMlp, c.DModel);
        act = Activations.Get(c.ActivationFunction, "config.json");
        hPre = hook(Site.MlpPre);
        hPost = hook(Site.MlpPost);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)                                                         // x: [batch, pos, d_model]
    {
        var pre = hPre.Run(c_fc.forward(x));                                                // [batch, pos, d_mlp]
        var post = hPost.Run(act(pre));
        return c_proj.forward(post);                                                        // [batch, pos, d_model]
    }
}
