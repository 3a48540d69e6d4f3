// Identities every Transformer architecture must satisfy, shared by the per-architecture tests.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Tests.Architectures;

public static class ModelIdentities
{
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.True(a.shape.SequenceEqual(b.shape), $"shapes differ: [{string.Join(",", a.shape)}] vs [{string.Join(",", b.shape)}]");
        using var d = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs();
        return d.NumberOfElements == 0 ? 0 : d.max().item<double>();
    }

    public static void Close(Tensor actual, Tensor expected, double atol, string what)
    {
        var max = MaxAbsDiff(actual, expected);
        Assert.True(max <= atol, $"{what}: max|Δ| = {max:g3} > atol {atol:g3}");
    }

    /// <summary>Σ_h hook_result + output bias == hook_attn_out in every layer.</summary>
    public static void PerHeadResultsSumToAttnOut(HookedModel model, Tensor ids, Func<int, Tensor?> outputBias)
    {
        using var cache = model.RunWithCache(ids, HookFilter.Sites(Site.Result, Site.AttnOut));
        for (int l = 0; l < model.Info.NLayers; l++)
        {
            var sum = cache[HookName.Result(l)].sum(2);                                     // [batch, pos, d_model]
            if (outputBias(l) is Tensor b) sum = sum + b;
            Close(sum, cache[HookName.AttnOut(l)], 1e-5, $"layer {l}: Σ_h result + b_O vs attn_out");
        }
    }

    /// <summary>Pre-LN blocks: hook_resid_post == hook_resid_mid + hook_mlp_out, and resid_mid == resid_pre + attn_out.</summary>
    public static void ResidualStreamAdds(HookedModel model, Tensor ids)
    {
        using var cache = model.RunWithCache(ids, HookFilter.Sites(Site.ResidPre, Site.ResidMid, Site.ResidPost, Site.AttnOut, Site.MlpOut));
        for (int l = 0; l < model.Info.NLayers; l++)
        {
            Close(cache[HookName.ResidMid(l)] + cache[HookName.MlpOut(l)], cache[HookName.ResidPost(l)], 0, $"layer {l}: resid_mid + mlp_out");
            Close(cache[HookName.ResidPre(l)] + cache[HookName.AttnOut(l)], cache[HookName.ResidMid(l)], 0, $"layer {l}: resid_pre + attn_out");
        }
    }

    /// <summary>Replacing every hook with its own cached value changes nothing (logits identical to the cached run's).</summary>
    public static void SelfPatchingIsANoOp(HookedModel model, Tensor ids, Tensor? mask = null)
    {
        using var cache = model.RunWithCache(ids, attentionMask: mask);
        Assert.Equal(model.HookCatalog.Count, cache.Count);
        var patches = model.HookCatalog.Select(h => (h.Name, (HookFn)((act, name) => cache[name].clone()))).ToList();
        using var patched = model.RunWithHooks(ids, patches, mask);
        Close(patched, cache.Logits!, 0, "self-patched logits");
        Assert.Equal(0, model.Hooks.Count);
    }

    /// <summary>
    /// Left and right padding (attention_mask 0 at the pads) give the unpadded run's activations at the real positions:
    /// every [batch, pos, …] hook, the attention pattern over real query/key pairs, and the logits.
    /// </summary>
    public static void PaddingInvariant(HookedModel model, long[] tokens, long padId, int nPad, double atol = 1e-4)
    {
        int t = tokens.Length;
        using var ids = tensor(tokens).view(1, t);
        using var pads = full(1, nPad, padId, ScalarType.Int64);
        using var left = cat([pads, ids], 1);
        using var right = cat([ids, pads], 1);
        using var leftMask = cat([zeros(1, nPad, ScalarType.Int64), ones(1, t, ScalarType.Int64)], 1);
        using var rightMask = cat([ones(1, t, ScalarType.Int64), zeros(1, nPad, ScalarType.Int64)], 1);
        using var clean = model.RunWithCache(ids);
        foreach (var (padded, mask, offset, side) in new[] { (left, leftMask, nPad, "left"), (right, rightMask, 0, "right") })
        {
            using var run = model.RunWithCache(padded, attentionMask: mask);
            Close(run.Logits!.narrow(1, offset, t), clean.Logits!, atol, $"{side} padding: logits");
            foreach (var info in model.HookCatalog)
            {
                var name = info.Name.ToString();
                var a = run[name];
                var c = clean[name];
                if (info.Name.Site == Site.Pattern || info.Name.Site == Site.AttnScores)
                {
                    if (info.Name.Site == Site.AttnScores) continue;        // masked entries hold the dtype minimum
                    Close(a.narrow(2, offset, t).narrow(3, offset, t), c, atol, $"{side} padding: {name}");
                }
                else if (a.dim() >= 2 && a.shape[1] == t + nPad && c.shape[1] == t)
                    Close(a.narrow(1, offset, t), c, atol, $"{side} padding: {name}");
            }
        }
    }
}
