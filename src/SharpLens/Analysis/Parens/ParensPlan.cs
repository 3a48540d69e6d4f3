// The parens study cut into work units: the batches of each pass and the (target, mode) ablations, and shard I of N of them.
namespace SharpLens.Analysis.Parens;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> (0-based): a contiguous range of every unit list, so that shards in
/// index order concatenate to the whole list in its original order.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The whole run as one shard.</summary>
    public static Shard All => new(0, 1);

    /// <summary>Parses <c>I/N</c> (0 ≤ I &lt; N); throws <see cref="FormatException"/> saying what was expected.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var i) || !int.TryParse(parts[1], out var n))
            throw new FormatException($"--shard expects I/N (shard I of N, 0-based, e.g. 0/4), found '{text}'");
        if (n < 1) throw new FormatException($"--shard I/N needs N ≥ 1, found N = {n}");
        if (i < 0 || i >= n) throw new FormatException($"--shard I/N needs 0 ≤ I < N, found I = {i} with N = {n}");
        return new Shard(i, n);
    }

    /// <summary>This shard's range [Start, Start + Length) of <paramref name="units"/> units.</summary>
    public (int Start, int Length) Range(int units)
    {
        int start = (int)((long)units * Index / Count), end = (int)((long)units * (Index + 1) / Count);
        return (start, end - start);
    }

    /// <summary>This shard's slice of <paramref name="all"/>.</summary>
    public IReadOnlyList<T> Take<T>(IReadOnlyList<T> all)
    {
        var (start, length) = Range(all.Count);
        return all.Skip(start).Take(length).ToList();
    }

    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>One ablation: a target under one mode ("zero" or "mean").</summary>
public sealed record AblationUnit(AblationTarget Target, string Mode);

/// <summary>
/// What the study runs, cut into units, fixed by the prompts and options alone (so every shard computes the same plan):
/// the main and already-closed passes in batches of <see cref="ParensStudyOptions.Batch"/>, the ablation prompts in
/// batches of 4 × that, and one unit per (target, mode) ablation.
/// </summary>
public sealed class ParensPlan
{
    public IReadOnlyList<PreparedPrompt> Prompts { get; }
    public IReadOnlyList<PreparedPrompt> ClosedPrompts { get; }
    public ParensStudyOptions Options { get; }
    public IReadOnlyList<IReadOnlyList<PreparedPrompt>> MainChunks { get; }
    public IReadOnlyList<IReadOnlyList<PreparedPrompt>> ClosedChunks { get; }
    /// <summary>The first <see cref="ParensStudyOptions.AblationN"/> prompts of each depth.</summary>
    public IReadOnlyList<PreparedPrompt> AblationPrompts { get; }
    /// <summary>Rows of any depth (means are per row); ablation passes keep no caches, and fewer, larger passes cut per-op overhead.</summary>
    public IReadOnlyList<IReadOnlyList<PreparedPrompt>> AblationChunks { get; }
    public IReadOnlySet<string> ViewerIds { get; }
    public IReadOnlyList<int> ParenDepths { get; }
    /// <summary><see cref="ParenIds"/>[i] is the label token of depth <see cref="ParenDepths"/>[i] (−1 when no closed prompt has that depth).</summary>
    public IReadOnlyList<int> ParenIds { get; }

    public ParensPlan(IReadOnlyList<PreparedPrompt> prompts, IReadOnlyList<PreparedPrompt> closedPrompts, ParensStudyOptions options)
    {
        (Prompts, ClosedPrompts, Options) = (prompts, closedPrompts, options);
        MainChunks = PromptBatch.Chunks(prompts, options.Batch).ToList();
        ClosedChunks = PromptBatch.Chunks(closedPrompts, options.Batch).ToList();
        AblationPrompts = prompts.GroupBy(p => p.Depth).SelectMany(g => g.Take(options.AblationN)).ToList();
        AblationChunks = PromptBatch.Chunks(AblationPrompts, 4 * options.Batch, byDepth: false).ToList();
        ViewerIds = prompts.GroupBy(p => p.Depth).SelectMany(g => g.Take(options.ViewerPerDepth)).Select(p => p.Example.Id).ToHashSet();
        ParenDepths = options.Depths.OrderBy(d => d).ToList();
        ParenIds = ParenDepths.Select(d => closedPrompts.Where(p => p.Depth == d).GroupBy(p => p.LabelId)
            .OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault(-1)).ToList();
    }

    /// <summary>Every ablation of a model with <paramref name="nLayers"/> × <paramref name="nHeads"/>, in the order the study runs them.</summary>
    public static IReadOnlyList<AblationUnit> AblationUnits(int nLayers, int nHeads) =>
        Ablation.AllTargets(nLayers, nHeads).SelectMany(t => new[] { new AblationUnit(t, "zero"), new AblationUnit(t, "mean") }).ToList();

    /// <summary>
    /// The most shards this plan can be cut into: every shard gets at least one batch of the main pass and one ablation.
    /// </summary>
    public int MaxShards(int nLayers, int nHeads) => Math.Min(MainChunks.Count, AblationUnits(nLayers, nHeads).Count);
}

/// <summary>The model facts a report names (so a merge needs no model).</summary>
public sealed record ModelFacts(string Model, string Architecture, int NLayers, int NHeads, int DModel, int DVocab, string DType)
{
    public static ModelFacts Of(HookedModel model) => new(model.SourceDirectory ?? "(in memory)", model.Info.Architecture, model.Info.NLayers,
        model.Info.NHeads, model.Info.DModel, model.Info.DVocab, model.DType.ToString());
}

/// <summary>The attention rows [layer][head][token] of one viewer prompt's final position.</summary>
public sealed record ViewerRows(string Id, float[][][] Rows);

/// <summary>
/// Per-prompt records of the measurement passes (stages 1–5) over some batches, in batch order; shards' records
/// concatenated in shard order are the whole run's.
/// </summary>
public sealed record ParensMeasured(List<PromptOutcome> Outcomes, List<LensPoint> Lens, List<DlaPrompt> Dla, List<RoleAttentionPrompt> Roles,
    List<ViewerRows> Viewer, List<HeadParenPrompt> HeadParens, List<PromptOutcome> ClosedOutcomes)
{
    /// <summary>Records of several shards, in the order given.</summary>
    public static ParensMeasured Concat(IEnumerable<ParensMeasured> shards)
    {
        var all = new ParensMeasured([], [], [], [], [], [], []);
        foreach (var s in shards)
        {
            all.Outcomes.AddRange(s.Outcomes); all.Lens.AddRange(s.Lens); all.Dla.AddRange(s.Dla); all.Roles.AddRange(s.Roles);
            all.Viewer.AddRange(s.Viewer); all.HeadParens.AddRange(s.HeadParens); all.ClosedOutcomes.AddRange(s.ClosedOutcomes);
        }
        return all;
    }
}

/// <summary>A shard's measurement: its records and one mean-activation part per ablation batch (global batch index).</summary>
public sealed class ParensMeasuredShard(ParensMeasured records, IReadOnlyList<(int Chunk, MeanActivations Part)> meanParts) : IDisposable
{
    public ParensMeasured Records { get; } = records;
    public IReadOnlyList<(int Chunk, MeanActivations Part)> MeanParts { get; } = meanParts;
    public void Dispose() { foreach (var (_, p) in MeanParts) p.Dispose(); }
}

/// <summary>One ablation (unit <see cref="Unit"/> of <see cref="ParensPlan.AblationUnits"/>) scored on every ablation prompt.</summary>
public sealed record AblationRun(int Unit, string Target, string Mode, IReadOnlyList<AblatedPrompt> Scored);
