// Logit lens: any residual-stream activation pushed through the model's own final norm and unembedding.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Analysis;

/// <summary>Per-element lens scores of an answer token (and a foil): probability, rank (1 = top) and answer − foil logit.</summary>
public sealed record LensScores(Tensor Prob, Tensor Rank, Tensor LogitDiff) : IDisposable
{
    /// <summary>Frees the three tensors.</summary>
    public void Dispose() { Prob.Dispose(); Rank.Dispose(); LogitDiff.Dispose(); }
}

/// <summary>
/// What the logit lens reads at one hook and position: the top tokens and, when an answer is given, its probability,
/// rank and logit difference to the foil (NaN without a foil).
/// </summary>
public sealed record LensReading(string Hook, string Site, int Layer, int Position, int[] TopIds, double[] TopProbs,
    double AnswerProb, long AnswerRank, double LogitDiff);

/// <summary>Logit lens over residual-stream hooks (resid_pre / resid_mid / resid_post) of causal LMs.</summary>
public static class LogitLens
{
    /// <summary>The residual sites the lens reads, in forward order.</summary>
    public static readonly IReadOnlyList<HookSite> ResidualSites = [Site.ResidPre, Site.ResidMid, Site.ResidPost];

    /// <summary>
    /// The residual hooks of <paramref name="model"/> at <paramref name="sites"/> (default: all three) in forward order,
    /// only those the model fires (a Mamba block has no resid_mid). Throws <see cref="NotSupportedException"/> up front
    /// for a model without a linear readout (masked-LM heads) or that is not causal.
    /// </summary>
    public static IReadOnlyList<HookName> Hooks(HookedModel model, IEnumerable<HookSite>? sites = null)
    {
        Require(model);
        var wanted = (sites ?? ResidualSites).ToHashSet();
        return model.HookCatalog.Select(h => h.Name).Where(n => n.Layer is not null && wanted.Contains(n.Site)).ToList();
    }

    /// <summary>The model's readout, or <see cref="NotSupportedException"/> saying why the lens cannot run.</summary>
    public static Readout Require(HookedModel model)
    {
        if (!model.Info.IsCausal) throw new NotSupportedException($"{model.Info.Architecture} is not a causal LM; the logit lens reads next-token predictions");
        return model.Readout ?? throw new NotSupportedException($"{model.Info.Architecture} has no linear readout (final norm + unembedding); the logit lens needs one");
    }

    /// <summary>Lens logits of residual vectors: [.., d_model] → [.., d_vocab] (float32), through the model's own final norm.</summary>
    public static Tensor Logits(Readout readout, Tensor resid) => readout.Logits(resid);

    /// <summary>
    /// Scores <paramref name="answer"/> ids (and <paramref name="foil"/> ids) against lens logits of
    /// <paramref name="resid"/> [.., d_model]; the id tensors index the last dim, shaped like resid without it.
    /// </summary>
    public static LensScores Score(Readout readout, Tensor resid, Tensor answer, Tensor? foil)
    {
        using var scope = NewDisposeScope();
        var logits = readout.Logits(resid);                                                  // [.., d_vocab]
        var a = answer.unsqueeze(-1);
        var answerLogit = logits.gather(-1, a);                                              // [.., 1]
        var prob = logits.log_softmax(-1).gather(-1, a).exp().squeeze(-1);
        var rank = logits.gt(answerLogit).sum(-1) + 1;
        var diff = foil is null ? full_like(prob, double.NaN) : (answerLogit - logits.gather(-1, foil.unsqueeze(-1))).squeeze(-1);
        return new LensScores(prob.MoveToOuterDisposeScope(), rank.MoveToOuterDisposeScope(), diff.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The lens at every hook in <paramref name="hooks"/> (cached, [batch, pos, d_model]) and every position in
    /// <paramref name="positions"/> (negative counts from the end) of batch row <paramref name="row"/>.
    /// </summary>
    public static IReadOnlyList<LensReading> Run(ActivationCache cache, Readout readout, IReadOnlyList<HookName> hooks, IReadOnlyList<int> positions,
        int? answer = null, int? foil = null, int topK = 5, int row = 0)
    {
        using var scope = NewDisposeScope();
        var first = cache[hooks[0]];
        long len = first.shape[1];
        var pos = positions.Select(p => (int)(p < 0 ? len + p : p)).ToArray();
        if (pos.Any(p => p < 0 || p >= len)) throw new ArgumentException($"positions must lie in [−{len}, {len}), found {string.Join(",", positions)}");
        var index = tensor(pos.Select(p => (long)p).ToArray());
        var resid = stack(hooks.Select(h => cache[h][row].index_select(0, index)).ToArray(), 0);   // [hook, position, d_model]
        var logits = readout.Logits(resid);
        var (topP, topI) = logits.softmax(-1).topk(Math.Min(topK, (int)logits.shape[^1]));  // [hook, position, k]
        int k = (int)topP.shape[^1];
        var tp = topP.to(ScalarType.Float64).data<double>().ToArray(); var ti = topI.data<long>().ToArray();
        double[] prob = [], diff = []; long[] rank = [];
        if (answer is int ans)
        {
            using var s = Score(readout, resid, full([hooks.Count, pos.Length], (long)ans, ScalarType.Int64),
                foil is int f ? full([hooks.Count, pos.Length], (long)f, ScalarType.Int64) : null);
            (prob, rank, diff) = (s.Prob.to(ScalarType.Float64).data<double>().ToArray(), s.Rank.data<long>().ToArray(), s.LogitDiff.to(ScalarType.Float64).data<double>().ToArray());
        }
        var list = new List<LensReading>();
        for (int h = 0; h < hooks.Count; h++)
            for (int j = 0; j < pos.Length; j++)
            {
                int i = h * pos.Length + j;
                list.Add(new LensReading(hooks[h].ToString(), hooks[h].Site.Path, hooks[h].Layer ?? -1, pos[j],
                    ti.AsSpan(i * k, k).ToArray().Select(x => (int)x).ToArray(), tp.AsSpan(i * k, k).ToArray(),
                    answer is null ? double.NaN : prob[i], answer is null ? 0 : rank[i], answer is null ? double.NaN : diff[i]));
            }
        return list;
    }
}
