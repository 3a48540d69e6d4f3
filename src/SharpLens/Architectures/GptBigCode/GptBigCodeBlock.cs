// One GPTBigCode block with its hook sites. Reference: HF GPTBigCodeBlock / GPTBigCodeAttention / GPTBigCodeMLP (eager).
using SharpLens.Hooks;
using SharpLens.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Architectures.GptBigCode;

/// <summary>x → x + attn(LN(x)) → + mlp(LN(·)). Field names are HF's (ln_1, attn, ln_2, mlp), so parameter names match.</summary>
public sealed class GptBigCodeBlock : nn.Module
{
    public readonly LayerNorm ln_1;
    public readonly GptBigCodeAttention attn;
    public readonly LayerNorm ln_2;
    public readonly GptBigCodeMlp mlp;
    readonly HookPoint residPre, ln1Scale, ln1Normalized, attnOut, residMid, ln2Scale, ln2Normalized, mlpOut, residPost;

    public GptBigCodeBlock(GptBigCodeConfig c, int layer, Func<HookSite, HookPoint> hook) : base($"h.{layer}")
    {
        residPre = hook(Site.ResidPre);
        ln1Scale = hook(Site.Ln1Scale);
        ln1Normalized = hook(Site.Ln1Normalized);
        ln_1 = new LayerNorm(c.DModel, c.LayerNormEpsilon);
        attn = new GptBigCodeAttention(c, layer, hook);
        attnOut = hook(Site.AttnOut);
        residMid = hook(Site.ResidMid);
        ln2Scale = hook(Site.Ln2Scale);
        ln2Normalized = hook(Site.Ln2Normalized);
        ln_2 = new LayerNorm(c.DModel, c.LayerNormEpsilon);
        mlp = new GptBigCodeMlp(c, hook);
        mlpOut = hook(Site.MlpOut);
        residPost = hook(Site.ResidPost);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor allowed)                                         // x: [batch, pos, d_model]
    {
        x = residPre.Run(x);
        var h = ln1Normalized.Run(ln_1.Apply(x, ln1Scale.Run(ln_1.Scale(x))));
        var a = attnOut.Run(attn.Forward(h, allowed));                                      // [batch, pos, d_model]
        var mid = residMid.Run(x + a);
        var h2 = ln2Normalized.Run(ln_2.Apply(mid, ln2Scale.Run(ln_2.Scale(mid))));
        var m = mlpOut.Run(mlp.Forward(h2));                                                // [batch, pos, d_model]
        return residPost.Run(mid + m);
    }
}

/// <summary>
/// Causal attention with an nn.Linear c_attn. multi_query: outputs [q (d_model) | k (d_head) | v (d_head)], one K/V head
/// shared by all query heads. Otherwise HF views the output as [head, 3·d_head] and splits each head's slice q | k | v
/// (not GPT-2's [3, head, d_head] layout).
/// </summary>
public sealed class GptBigCodeAttention : nn.Module
{
    public readonly Linear c_attn, c_proj;
    readonly HookPoint hq, hk, hv, hScores, hPattern, hZ, hResult;
    readonly int nHeads, dHead, dModel;
    readonly bool multiQuery, softmaxInFp32;
    readonly double scale;

    public GptBigCodeAttention(GptBigCodeConfig c, int layer, Func<HookSite, HookPoint> hook) : base("attn")
    {
        nHeads = c.NHeads; dHead = c.DHead; dModel = c.DModel; multiQuery = c.MultiQuery;
        softmaxInFp32 = c.AttentionSoftmaxInFp32;
        scale = c.ScaleAttnWeights ? 1.0 / Math.Sqrt(dHead) : 1.0;
        c_attn = new Linear(c.DModel, c.DModel + 2 * c.NKvHeads * c.DHead, true);
        c_proj = new Linear(c.DModel, c.DModel, true);
        hq = hook(Site.Q);
        hk = hook(Site.K);
        hv = hook(Site.V);
        hScores = hook(Site.AttnScores);
        hPattern = hook(Site.Pattern);
        hZ = hook(Site.Z);
        hResult = hook(Site.Result);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor allowed)                                         // x: [batch, pos, d_model]
    {
        long b = x.shape[0], p = x.shape[1];
        var fused = c_attn.forward(x);                                                      // [batch, pos, d_model + 2·kv_head·d_head]
        Tensor q, k, v;
        if (multiQuery)
        {
            q = fused.narrow(-1, 0, dModel).view(b, p, nHeads, dHead);                     // [batch, pos, head, d_head]
            k = fused.narrow(-1, dModel, dHead).view(b, p, 1, dHead);                      // [batch, pos, 1, d_head]
            v = fused.narrow(-1, dModel + dHead, dHead).view(b, p, 1, dHead);
        }
        else
        {
            var perHead = fused.view(b, p, nHeads, 3 * dHead);                             // [batch, pos, head, 3·d_head]
            q = perHead.narrow(-1, 0, dHead);
            k = perHead.narrow(-1, dHead, dHead);
            v = perHead.narrow(-1, 2 * dHead, dHead);
        }
        q = hq.Run(q); k = hk.Run(k); v = hv.Run(v);
        // k, v [batch, kv_head, pos, d_head] broadcast over the query heads when kv_head = 1
        var scores = Precision.MatMul(q.transpose(1, 2), k.permute(0, 2, 3, 1)) * scale;    // [batch, head, q, k]
        scores = hScores.Run(Masks.Apply(scores, allowed));
        var probs = softmaxInFp32 ? scores.softmax(-1, ScalarType.Float32) : scores.softmax(-1);
        var pattern = hPattern.Run(probs.to(q.dtype));                                      // [batch, head, q, k]
        var z = hZ.Run(Precision.MatMul(pattern, v.transpose(1, 2)).transpose(1, 2));       // [batch, pos, head, d_head]
        return AttentionOutput.Project(z, c_proj, hResult);                                 // [batch, pos, d_model]
    }
}

/// <summary>c_fc → activation_function → c_proj (nn.Linear layout).</summary>
public sealed class GptBigCodeMlp : nn.Module
{
    public readonly Linear c_fc, c_proj;
    readonly HookPoint hPre, hPost;
    readonly Func<Tensor, Tensor> act;

    public GptBigCodeMlp(GptBigCodeConfig c, Func<HookSite, HookPoint> hook) : base("mlp")
    {
        c_fc = new Linear(c.DModel, c.DMlp, true);
        c_proj = new Linear(c.DMlp, c.DModel, true);
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
