// One RoBERTa encoder layer (post-LN) with its hook sites. Reference: HF RobertaLayer / RobertaSelfAttention (eager).
using SharpLens.Hooks;
using SharpLens.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Roberta;

/// <summary>
/// x → mid = LN(attn(x) + x) → LN(mlp(mid) + mid). hook_resid_mid is the first LayerNorm's output (the MLP input) and
/// hook_resid_post the second's; hook_attn_out / hook_mlp_out are taken before the residual add and the norm.
/// </summary>
public sealed class RobertaLayer : nn.Module
{
    public readonly BertAttentionWeights attention;
    public readonly BertIntermediateWeights intermediate;
    public readonly BertDenseNormWeights output;
    readonly HookPoint residPre, hq, hk, hv, hScores, hPattern, hZ, hResult, attnOut, ln1Scale, residMid;
    readonly HookPoint mlpPre, mlpPost, mlpOut, ln2Scale, residPost;
    readonly Func<Tensor, Tensor> act;
    readonly int nHeads, dHead;

    public RobertaLayer(RobertaConfig c, int layer, Func<HookSite, HookPoint> hook) : base($"layer.{layer}")
    {
        nHeads = c.NHeads; dHead = c.DHead;
        act = Activations.Get(c.HiddenAct, "config.json");
        residPre = hook(Site.ResidPre);
        hq = hook(Site.Q);
        hk = hook(Site.K);
        hv = hook(Site.V);
        hScores = hook(Site.AttnScores);
        hPattern = hook(Site.Pattern);
        hZ = hook(Site.Z);
        hResult = hook(Site.Result);
        attnOut = hook(Site.AttnOut);
        ln1Scale = hook(Site.Ln1Scale);
        residMid = hook(Site.ResidMid);
        mlpPre = hook(Site.MlpPre);
        mlpPost = hook(Site.MlpPost);
        mlpOut = hook(Site.MlpOut);
        ln2Scale = hook(Site.Ln2Scale);
        residPost = hook(Site.ResidPost);
        attention = new BertAttentionWeights(c.DModel, c.LayerNormEps);
        intermediate = new BertIntermediateWeights(c.DModel, c.DMlp);
        output = new BertDenseNormWeights(c.DMlp, c.DModel, c.LayerNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor allowed)                                         // x: [batch, pos, d_model]
    {
        x = residPre.Run(x);
        var a = attnOut.Run(Attention(x, allowed));                                         // [batch, pos, d_model]
        var ln1 = attention.output.LayerNorm;
        var sum1 = a + x;
        var mid = residMid.Run(ln1.Apply(sum1, ln1Scale.Run(ln1.Scale(sum1))));            // [batch, pos, d_model]
        var pre = mlpPre.Run(intermediate.dense.forward(mid));                              // [batch, pos, d_mlp]
        var post = mlpPost.Run(act(pre));
        var m = mlpOut.Run(output.dense.forward(post));                                     // [batch, pos, d_model]
        var ln2 = output.LayerNorm;
        var sum2 = m + mid;
        return residPost.Run(ln2.Apply(sum2, ln2Scale.Run(ln2.Scale(sum2))));
    }

    Tensor Attention(Tensor x, Tensor allowed)                                              // x: [batch, pos, d_model]
    {
        long b = x.shape[0], p = x.shape[1];
        var w = attention.self;
        var q = hq.Run(w.query.forward(x).view(b, p, nHeads, dHead));                      // [batch, pos, head, d_head]
        var k = hk.Run(w.key.forward(x).view(b, p, nHeads, dHead));
        var v = hv.Run(w.value.forward(x).view(b, p, nHeads, dHead));
        var scores = Precision.MatMul(q.transpose(1, 2), k.permute(0, 2, 3, 1)) / Math.Sqrt(dHead); // [batch, head, q, k]
        scores = hScores.Run(Masks.Apply(scores, allowed));
        var pattern = hPattern.Run(scores.softmax(-1));                                     // [batch, head, q, k]
        var z = hZ.Run(Precision.MatMul(pattern, v.transpose(1, 2)).transpose(1, 2));       // [batch, pos, head, d_head]
        return AttentionOutput.Project(z, attention.output.dense, hResult);                 // [batch, pos, d_model]
    }
}
