// Direct logit attribution: a logit difference split into embeddings, attention heads and biases, MLPs and norm/unembed biases.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Analysis;

/// <summary>
/// One row's direct logit attribution of a logit difference (answer − foil, or any unembedding direction): each term is
/// a component of the final residual pushed through the linear part of the final norm (with the scale of the same run)
/// and dotted with the direction. <see cref="Sum"/> of all terms equals <see cref="Actual"/> (the model's own value) up to
/// rounding; <see cref="Attn"/>[l] = Σ_h <see cref="Heads"/>[l][h] + <see cref="AttnBias"/>[l].
/// </summary>
public sealed record Attribution(double Embed, double[] Attn, double[] AttnBias, double[][] Heads, double[] Mlp,
    double NormBias, double UnembedBias, double Sum, double Actual)
{
    /// <summary>|Σ components − actual|: the exact-sum check.</summary>
    public double Error => Math.Abs(Sum - Actual);
}

/// <summary>Direct logit attribution over a cache (pre-norm Transformers with per-head results and a linear readout).</summary>
public static class LogitAttribution
{
    /// <summary>Embedding sites whose sum is the residual stream before layer 0 (those the model fires).</summary>
    public static IReadOnlyList<HookName> EmbedHooks(HookedModel model) =>
        new[] { HookName.Embed, HookName.PosEmbed, HookName.Of(Site.TokenTypeEmbed) }.Where(n => Has(model, n)).ToList();

    static bool Has(HookedModel model, HookName name) => model.HookCatalog.Any(h => h.Name == name);

    /// <summary>
    /// The hooks attribution reads: embeddings, each layer's hook_attn_out, hook_result and hook_mlp_out, and
    /// ln_final.hook_scale. Throws <see cref="NotSupportedException"/> up front when the model lacks them (state-space
    /// models have no heads; masked-LM heads have no linear readout).
    /// </summary>
    public static IReadOnlyList<HookName> Hooks(HookedModel model)
    {
        LogitLens.Require(model);
        var names = new List<HookName>(EmbedHooks(model));
        for (int l = 0; l < model.Info.NLayers; l++) names.AddRange([HookName.AttnOut(l), HookName.Result(l), HookName.MlpOut(l)]);
        names.Add(HookName.LnFinalScale);
        var missing = names.Where(n => !Has(model, n)).Select(n => n.ToString()).ToList();
        if (!names.Contains(HookName.Embed) || missing.Count > 0)
            throw new NotSupportedException($"direct logit attribution needs attention heads and a final norm: expected hooks hook_embed, blocks.0.attn.hook_result, " +
                $"blocks.0.hook_mlp_out, ln_final.hook_scale; {model.Info.Architecture} lacks {string.Join(", ", missing.DefaultIfEmpty("hook_embed").Take(5))}");
        return names;
    }

    /// <summary>The unembedding direction W_U[answer] − W_U[foil] per row: [batch, d_model] (float32).</summary>
    public static Tensor Direction(Readout readout, Tensor answer, Tensor? foil)
    {
        var d = readout.WU.index_select(0, answer);
        return (foil is null ? d : d - readout.WU.index_select(0, foil)).to(ScalarType.Float32);
    }

    /// <summary>
    /// The final norm's linear part applied to components x [batch, …, d_model] with the run's <paramref name="scale"/>
    /// [batch, 1], dotted with per-row <paramref name="directions"/> [batch, d_model] → [batch, …].
    /// </summary>
    public static Tensor Project(Readout readout, Tensor x, Tensor scale, Tensor directions)
    {
        var s = scale.to(ScalarType.Float32);
        while (s.dim() < x.dim()) s = s.unsqueeze(-1);
        var y = readout.Linear(x, s);
        var d = directions.to(ScalarType.Float32);
        while (d.dim() < y.dim()) d = d.unsqueeze(1);
        return (y * d).sum(-1);
    }

    /// <summary>
    /// Attribution of answer − foil logits at one position per row. <paramref name="at"/> gives each hook's activation at
    /// that position ([batch, d_model], hook_result [batch, head, d_model], ln_final.hook_scale [batch, 1]; null when not
    /// cached); <paramref name="logits"/> [batch, d_vocab] are the model's own logits there. Without a foil the
    /// attributed quantity is the answer's logit itself.
    /// </summary>
    public static IReadOnlyList<Attribution> Run(Func<HookName, Tensor?> at, Tensor logits, Readout readout, int nLayers, Tensor answer, Tensor? foil)
    {
        using var _ = NewDisposeScope();
        var dir = Direction(readout, answer, foil);                                          // [batch, d_model]
        var actual = logits.to(ScalarType.Float32).gather(1, answer.unsqueeze(1));
        if (foil is not null) actual = actual - logits.to(ScalarType.Float32).gather(1, foil.unsqueeze(1));
        Tensor? ub = null;
        if (readout.BU is not null)
        {
            var bu = readout.BU.to(ScalarType.Float32);
            ub = foil is null ? bu.index_select(0, answer) : bu.index_select(0, answer) - bu.index_select(0, foil);
        }
        return Run(at, readout, nLayers, dir, ub, actual.squeeze(1));
    }

    /// <summary>
    /// Attribution along any per-row unembedding <paramref name="direction"/> [batch, d_model], with the matching
    /// unembedding-bias term <paramref name="unembedBias"/> [batch] (or null) and the model's own value <paramref name="actual"/> [batch].
    /// </summary>
    public static IReadOnlyList<Attribution> Run(Func<HookName, Tensor?> at, Readout readout, int nLayers, Tensor direction, Tensor? unembedBias, Tensor actual)
    {
        using var _ = NewDisposeScope();
        Tensor Need(HookName n) => at(n) ?? throw new KeyNotFoundException($"direct logit attribution needs {n} in the cache");
        double[] Row(Tensor t) => t.to(ScalarType.Float64).data<double>().ToArray();
        var scale = Need(HookName.LnFinalScale);                                            // [batch, 1]
        var embedSum = Need(HookName.Embed);                                                // token (+ position, token type) embeddings
        foreach (var n in new[] { HookName.PosEmbed, HookName.Of(Site.TokenTypeEmbed) }) if (at(n) is Tensor e) embedSum = embedSum + e;
        var embed = Row(Project(readout, embedSum, scale, direction));
        var attn = new double[nLayers][]; var bias = new double[nLayers][]; var mlp = new double[nLayers][]; var heads = new double[nLayers][][];
        for (int l = 0; l < nLayers; l++)
        {
            var result = Need(HookName.Result(l));                                          // [batch, head, d_model]
            var attnOut = Need(HookName.AttnOut(l));
            attn[l] = Row(Project(readout, attnOut, scale, direction));
            bias[l] = Row(Project(readout, attnOut - result.sum(1), scale, direction));    // o_proj bias (0 for Llama)
            mlp[l] = Row(Project(readout, Need(HookName.MlpOut(l)), scale, direction));
            var h = Project(readout, result, scale, direction);                             // [batch, head]
            heads[l] = Enumerable.Range(0, (int)h.shape[0]).Select(b => Row(h[b])).ToArray();
        }
        int nb = (int)direction.shape[0];
        var nbias = readout.NormBias is null ? new double[nb] : Row((direction.to(ScalarType.Float32) * readout.NormBias.to(ScalarType.Float32)).sum(-1));
        var ubias = unembedBias is null ? new double[nb] : Row(unembedBias);
        var act = Row(actual);
        var list = new List<Attribution>();
        for (int b = 0; b < nb; b++)
        {
            var hb = Enumerable.Range(0, nLayers).Select(l => heads[l][b]).ToArray();
            double sum = embed[b] + nbias[b] + ubias[b] + Enumerable.Range(0, nLayers).Sum(l => hb[l].Sum() + bias[l][b] + mlp[l][b]);
            list.Add(new Attribution(embed[b], attn.Select(a => a[b]).ToArray(), bias.Select(a => a[b]).ToArray(), hb, mlp.Select(a => a[b]).ToArray(),
                nbias[b], ubias[b], sum, act[b]));
        }
        return list;
    }

    /// <summary>
    /// Attribution at <paramref name="position"/> (negative counts from the end) of every row of a full cache recorded
    /// with at least <see cref="Hooks"/>; <paramref name="answer"/>/<paramref name="foil"/> are per-row token ids.
    /// </summary>
    public static IReadOnlyList<Attribution> Run(ActivationCache cache, Readout readout, int nLayers, int position, long[] answer, long[]? foil)
    {
        using var _ = NewDisposeScope();
        var logits = cache.Logits ?? throw new InvalidOperationException("the cache holds no logits; record it with RunWithCache");
        long len = logits.shape[1];
        long p = position < 0 ? len + position : position;
        if (p < 0 || p >= len) throw new ArgumentException($"position must lie in [−{len}, {len}), found {position}");
        Tensor? At(HookName n) => cache.Contains(n) ? cache[n].select(1, p) : null;              // every site has pos in dim 1
        return Run(At, logits.select(1, p), readout, nLayers, tensor(answer), foil is null ? null : tensor(foil));
    }
}
