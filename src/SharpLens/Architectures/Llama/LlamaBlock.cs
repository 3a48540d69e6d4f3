// One Llama decoder layer with its hook sites. Reference: HF LlamaDecoderLayer / LlamaAttention / LlamaMLP (eager path).
using SharpLens.Hooks;
using SharpLens.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Llama;

/// <summary>x → x + attn(RMSNorm(x)) → + mlp(RMSNorm(·)). Field names are HF's, so parameter names match checkpoints.</summary>
public sealed class LlamaBlock : nn.Module
{
    public readonly RmsNorm input_layernorm;
    public readonly LlamaAttention self_attn;
    public readonly RmsNorm post_attention_layernorm;
    public readonly LlamaMlp mlp;
    readonly HookPoint residPre, ln1Scale, ln1Normalized, attnOut, residMid, ln2Scale, ln2Normalized, mlpOut, residPost;

    public LlamaBlock(LlamaConfig c, int layer, Func<HookSite, HookPoint> hook) : base($"layers.{layer}")
    {
        residPre = hook(Site.ResidPre);
        ln1Scale = hook(Site.Ln1Scale);
        ln1Normalized = hook(Site.Ln1Normalized);
        input_layernorm = new RmsNorm(c.DModel, c.RmsNormEps);
        self_attn = new LlamaAttention(c, hook);
        attnOut = hook(Site.AttnOut);
        residMid = hook(Site.ResidMid);
        ln2Scale = hook(Site.Ln2Scale);
        ln2Normalized = hook(Site.Ln2Normalized);
        post_attention_layernorm = new RmsNorm(c.DModel, c.RmsNormEps);
        mlp = new LlamaMlp(c, hook);
        mlpOut = hook(Site.MlpOut);
        residPost = hook(Site.ResidPost);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionMask mask)          // x: [batch, pos, d_model]
    {
        x = residPre.Run(x);
        var h = ln1Normalized.Run(input_layernorm.Forward(x, ln1Scale));
        var attn = attnOut.Run(self_attn.Forward(h, cos, sin, mask));                      // [batch, pos, d_model]
        var mid = residMid.Run(x + attn);
        var h2 = ln2Normalized.Run(post_attention_layernorm.Forward(mid, ln2Scale));
        var m = mlpOut.Run(mlp.Forward(h2));                                                  // [batch, pos, d_model]
        return residPost.Run(mid + m);
    }
}

/// <summary>Grouped-query attention with RoPE (rotate_half) and a causal/padding mask.</summary>
public sealed class LlamaAttention : nn.Module
{
    public readonly Linear q_proj, k_proj, v_proj, o_proj;
    readonly HookPoint hq, hk, hv, hRotQ, hRotK, hScores, hPattern, hZ, hResult;
    readonly int nHeads, nKv, dHead;

    public LlamaAttention(LlamaConfig c, Func<HookSite, HookPoint> hook) : base("self_attn")
    {
        nHeads = c.NHeads; nKv = c.NKvHeads; dHead = c.DHead;
        q_proj = new Linear(c.DModel, c.NHeads * c.DHead, c.AttentionBias);
        k_proj = new Linear(c.DModel, c.NKvHeads * c.DHead, c.AttentionBias);
        v_proj = new Linear(c.DModel, c.NKvHeads * c.DHead, c.AttentionBias);
        o_proj = new Linear(c.NHeads * c.DHead, c.DModel, c.AttentionBias);
        hq = hook(Site.Q);
        hk = hook(Site.K);
        hv = hook(Site.V);
        hRotQ = hook(Site.RotQ);
        hRotK = hook(Site.RotK);
        hScores = hook(Site.AttnScores);
        hPattern = hook(Site.Pattern);
        hZ = hook(Site.Z);
        hResult = hook(Site.Result);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionMask mask)           // x: [batch, pos, d_model]
    {
        long b = x.shape[0], p = x.shape[1];
        var q = hq.Run(q_proj.forward(x).view(b, p, nHeads, dHead));                       // [batch, pos, head, d_head]
        var k = hk.Run(k_proj.forward(x).view(b, p, nKv, dHead));                          // [batch, pos, kv_head, d_head]
        var v = hv.Run(v_proj.forward(x).view(b, p, nKv, dHead));
        q = hRotQ.Run(Rotary.Apply(q, cos, sin));
        k = hRotK.Run(Rotary.Apply(k, cos, sin));
        int group = nHeads / nKv;                                                           // query head h reads kv head h / group
        var kh = (group == 1 ? k : k.repeat_interleave(group, dim: 2)).transpose(1, 2);    // [batch, head, pos, d_head]
        var vh = (group == 1 ? v : v.repeat_interleave(group, dim: 2)).transpose(1, 2);
        if (FusedAttention.Applies(hScores, hPattern))
            return AttentionOutput.Project(hZ.Run(FusedAttention.Run(q.transpose(1, 2), kh, vh, mask).transpose(1, 2)), o_proj, hResult);
        var scores = Precision.MatMul(q.transpose(1, 2), kh.transpose(-1, -2)) * (1.0 / Math.Sqrt(dHead)); // [batch, head, q, k]
        scores = hScores.Run(Masks.Apply(scores, mask.Allowed));
        var pattern = hPattern.Run(scores.softmax(-1, ScalarType.Float32).to(q.dtype));   // [batch, head, q, k]
        var z = hZ.Run(Precision.MatMul(pattern, vh).transpose(1, 2));                      // [batch, pos, head, d_head]
        return AttentionOutput.Project(z, o_proj, hResult);
    }
}

/// <summary>SwiGLU MLP: down(act(gate(x)) · up(x)).</summary>
public sealed class LlamaMlp : nn.Module
{
    public readonly Linear gate_proj, up_proj, down_proj;
    readonly HookPoint hPre, hPreLinear, hPost;
    readonly Func<Tensor, Tensor> act;

    public LlamaMlp(LlamaConfig c, Func<HookSite, HookPoint> hook) : base("mlp")
    {
        gate_proj = new Linear(c.DModel, c.DMlp, c.MlpBias);
        up_proj = new Linear(c.DModel, c.DMlp, c.MlpBias);
        down_proj = new Linear(c.DMlp, c.DModel, c.MlpBias);
        act = Activations.Get(c.HiddenAct, "config.json");
        hPre = hook(Site.MlpPre);
        hPreLinear = hook(Site.MlpPreLinear);
        hPost = hook(Site.MlpPost);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)                                                         // x: [batch, pos, d_model]
    {
        var pre = hPre.Run(gate_proj.forward(x));                                           // [batch, pos, d_mlp]
        var lin = hPreLinear.Run(up_proj.forward(x));
        var post = hPost.Run(act(pre) * lin);
        return down_proj.forward(post);                                                     // [batch, pos, d_model]
    }
}
