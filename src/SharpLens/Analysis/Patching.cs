// Activation patching: one run's activation written into another run, per layer × position or per head, scored by a user metric.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Analysis;

/// <summary>
/// Denoising: clean activations patched into the corrupted run (which components suffice to restore the behaviour).
/// Noising: corrupted activations patched into the clean run (which components are necessary).
/// </summary>
public enum PatchMode
{
    /// <summary>Run the corrupted input with one clean activation patched in: how much it restores.</summary>
    Denoising,
    /// <summary>Run the clean input with one corrupted activation patched in: how much it breaks.</summary>
    Noising,
}

/// <summary>
/// A patching sweep. <see cref="Values"/>[row][col] is the metric with that one component patched: rows are layers;
/// columns are positions (<see cref="Columns"/> = "position") or heads ("head"). <see cref="Clean"/> and
/// <see cref="Corrupted"/> are the unpatched metrics; <see cref="Normalized"/> maps corrupted → 0 and clean → 1.
/// </summary>
public sealed record PatchResult(string Site, PatchMode Mode, string Columns, double Clean, double Corrupted, double[][] Values)
{
    /// <summary>(value − corrupted) / (clean − corrupted); NaN where clean equals corrupted.</summary>
    public double[][] Normalized => Values.Select(r => r.Select(v => Clean == Corrupted ? double.NaN : (v - Corrupted) / (Clean - Corrupted)).ToArray()).ToArray();
}

/// <summary>Activation patching over layers × positions (residual, attention and MLP outputs) and over heads.</summary>
public static class Patching
{
    /// <summary>Sites patched per position: [batch, pos, d_model].</summary>
    public static readonly IReadOnlyList<HookSite> PositionSites = [Site.ResidPre, Site.ResidMid, Site.ResidPost, Site.AttnOut, Site.MlpOut];

    /// <summary>Per-head sites: [batch, pos, head, …].</summary>
    public static readonly IReadOnlyList<HookSite> HeadSites = [Site.Z, Site.Result, Site.Q, Site.K, Site.V];

    /// <summary>
    /// The answer − foil logit difference (the answer's logit without a foil) at <paramref name="position"/> (default
    /// last), averaged over the batch: a metric for <see cref="Run"/>.
    /// </summary>
    public static Func<Tensor, double> LogitDiff(int answer, int? foil, int position = -1) => logits =>
    {
        using var scope = NewDisposeScope();
        var at = logits.select(1, position < 0 ? logits.shape[1] + position : position).to(ScalarType.Float32);   // [batch, d_vocab]
        var v = at.select(1, answer);
        return (foil is int f ? v - at.select(1, f) : v).mean().item<float>();
    };

    /// <summary>
    /// Patches <paramref name="site"/> of every layer at every position (a position site) or every head over all
    /// positions (a head site), one forward per component. <paramref name="clean"/> and <paramref name="corrupted"/>
    /// are [batch, pos] ids of equal shape (positions must correspond); <paramref name="metric"/> reads the logits
    /// [batch, pos, d_vocab] of one patched run. Up to <paramref name="columnsPerPass"/> components share a forward pass
    /// (the target batch repeated, each copy with one component patched).
    /// </summary>
    public static PatchResult Run(HookedModel model, Tensor clean, Tensor corrupted, HookSite site, Func<Tensor, double> metric,
        PatchMode mode = PatchMode.Denoising, Tensor? mask = null, int columnsPerPass = 16)
    {
        if (columnsPerPass < 1) throw new ArgumentException($"columnsPerPass must be ≥ 1, found {columnsPerPass}");
        bool perHead = HeadSites.Contains(site);
        if (!perHead && !PositionSites.Contains(site))
            throw new ArgumentException($"patching expects a site among {string.Join(", ", PositionSites.Concat(HeadSites))}, found {site}");
        if (!clean.shape.SequenceEqual(corrupted.shape))
            throw new ArgumentException($"clean and corrupted ids must have the same shape (positions correspond), found [{string.Join(",", clean.shape)}] and [{string.Join(",", corrupted.shape)}]");
        int nl = model.Info.NLayers;
        var hooks = Enumerable.Range(0, nl).Select(l => HookName.Of(site, l)).ToArray();
        var missing = hooks.Where(h => !model.HookCatalog.Any(c => c.Name == h)).Select(h => h.ToString()).ToList();
        if (missing.Count > 0) throw new NotSupportedException($"{model.Info.Architecture} has no {site} hooks (missing {string.Join(", ", missing.Take(3))}); patch another site");
        model.ValidateInput(corrupted, mask);
        double cleanMetric, corruptMetric;
        var (source, target) = mode == PatchMode.Denoising ? (clean, corrupted) : (corrupted, clean);
        using var cache = model.RunWithCache(source, HookFilter.Names(hooks), mask);
        using (var t = model.Run(target, mask))
        {
            double s = metric(cache.Logits!), tm = metric(t);
            (cleanMetric, corruptMetric) = mode == PatchMode.Denoising ? (s, tm) : (tm, s);
        }
        int cols = perHead ? (int)cache[hooks[0]].shape[2] : (int)clean.shape[1];
        long rows = target.shape[0];
        var values = new double[nl][];
        for (int l = 0; l < nl; l++)
        {
            values[l] = new double[cols];
            var src = cache[hooks[l]];                                                       // [batch, pos, …]
            for (int c0 = 0; c0 < cols; c0 += columnsPerPass)
            {
                // one pass patches several components: copy j of the target batch gets component c0 + j patched
                int n = Math.Min(columnsPerPass, cols - c0);
                using var scope = NewDisposeScope();
                var ids = target.repeat(n, 1);                                               // [n·batch, pos]
                var m = mask?.repeat(n, 1);
                HookFn patch = (act, _) =>
                {
                    var copy = act.clone();
                    for (int j = 0; j < n; j++)
                    {
                        var rowsJ = copy.narrow(0, j * rows, rows);                          // [batch, pos, …]
                        var (to, from) = perHead
                            ? (rowsJ.select(2, c0 + j), src.select(2, c0 + j))
                            : (rowsJ.select(1, c0 + j), src.select(1, c0 + j));
                        to.copy_(from);
                    }
                    return copy;
                };
                var logits = model.RunWithHooks(ids, [(hooks[l], patch)], m);
                for (int j = 0; j < n; j++) values[l][c0 + j] = metric(logits.narrow(0, j * rows, rows));
            }
        }
        return new PatchResult(site.Path, mode, perHead ? "head" : "position", cleanMetric, corruptMetric, values);
    }
}
