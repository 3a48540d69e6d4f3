// The final norm and unembedding written out from raw parameters (torch's own layer_norm for LayerNorm models), for tests.
using SharpLens.Architectures.Gpt2;
using SharpLens.Architectures.GptBigCode;
using SharpLens.Architectures.Llama;
using SharpLens.Architectures.Mamba;
using static TorchSharp.torch;

namespace SharpLens.Tests.Analysis;

internal static class IndependentReadout
{
    static Tensor P(HookedModel m, string name) => m.named_parameters().First(p => p.name == name).parameter;
    static Tensor? TryP(HookedModel m, string name) => m.named_parameters().Where(p => p.name == name).Select(p => (Tensor)p.parameter).FirstOrDefault();

    /// <summary>Logits of residual vectors [.., d_model] → [.., d_vocab], computed without <see cref="Readout"/>.</summary>
    public static Tensor Logits(HookedModel m, Tensor resid)
    {
        var x = resid.to(ScalarType.Float64);
        Tensor normed, wu;
        switch (m)
        {
            case LlamaForCausalLM l:
                normed = x * (x.pow(2).mean([-1], keepdim: true) + l.Config.RmsNormEps).rsqrt() * P(m, "model.norm.weight").to(ScalarType.Float64);
                wu = TryP(m, "lm_head.weight") ?? P(m, "model.embed_tokens.weight");
                break;
            case MambaForCausalLM mb:
                normed = x * (x.pow(2).mean([-1], keepdim: true) + mb.Config.LayerNormEpsilon).rsqrt() * P(m, "backbone.norm_f.weight").to(ScalarType.Float64);
                wu = TryP(m, "lm_head.weight") ?? P(m, "backbone.embeddings.weight");
                break;
            case Gpt2LMHeadModel g:
                normed = nn.functional.layer_norm(x, [x.shape[^1]], P(m, "transformer.ln_f.weight").to(ScalarType.Float64), P(m, "transformer.ln_f.bias").to(ScalarType.Float64), g.Config.LayerNormEpsilon);
                wu = TryP(m, "lm_head.weight") ?? P(m, "transformer.wte.weight");
                break;
            case GptBigCodeForCausalLM b:
                normed = nn.functional.layer_norm(x, [x.shape[^1]], P(m, "transformer.ln_f.weight").to(ScalarType.Float64), P(m, "transformer.ln_f.bias").to(ScalarType.Float64), b.Config.LayerNormEpsilon);
                wu = TryP(m, "lm_head.weight") ?? P(m, "transformer.wte.weight");
                break;
            default: throw new NotSupportedException(m.Info.Architecture);
        }
        return normed.matmul(wu.to(ScalarType.Float64).t());
    }

    /// <summary>
    /// The final norm's part linear in x with the scale of <paramref name="finalResid"/> (the residual the model normalised),
    /// no bias, in float64: (x − mean x if LayerNorm) / scale · w.
    /// </summary>
    public static Tensor LinearPart(HookedModel m, Tensor x, Tensor finalResid)
    {
        var r = finalResid.to(ScalarType.Float64); var xd = x.to(ScalarType.Float64);
        switch (m)
        {
            case LlamaForCausalLM l:
                return xd * (r.pow(2).mean([-1], keepdim: true) + l.Config.RmsNormEps).rsqrt() * P(m, "model.norm.weight").to(ScalarType.Float64);
            case Gpt2LMHeadModel or GptBigCodeForCausalLM:
                double eps = m is Gpt2LMHeadModel g ? g.Config.LayerNormEpsilon : ((GptBigCodeForCausalLM)m).Config.LayerNormEpsilon;
                var scale = (r.var([-1], unbiased: false, keepdim: true) + eps).sqrt();
                return (xd - xd.mean([-1], keepdim: true)) / scale * P(m, "transformer.ln_f.weight").to(ScalarType.Float64);
            default: throw new NotSupportedException(m.Info.Architecture);
        }
    }

    /// <summary>The unembedding [d_vocab, d_model] in float64.</summary>
    public static Tensor WU(HookedModel m) => (TryP(m, "lm_head.weight") ?? TryP(m, "model.embed_tokens.weight") ?? P(m, "transformer.wte.weight")).to(ScalarType.Float64);
}
