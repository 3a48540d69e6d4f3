// Study 1 end to end: data → prompts → one cached pass per batch (last position only) → ablations → summaries.
using System.Diagnostics;
using SharpLens.Code.Datasets;
using SharpLens.Hooks;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Parens;

/// <summary>
/// Runs the closing-parenthesis study on any causal LM with a linear readout. Memory plan: the study pass caches only
/// the last position of each hook (a few MB per prompt at 7B) and reduces it to per-prompt numbers before the next
/// batch; mean activations are accumulated per batch from caches of z / attn_out / mlp_out; ablations use hooks only.
/// </summary>
public static class ParensStudy
{
    public static ParensStudyResult Run(HookedModel model, Tokenizer tokenizer, ParensStudyOptions options, IProgress<StudyProgress>? progress = null)
    {
        var examples = ParensData.Load(options.Dataset, options.Depths, options.N, options.Seed, options.Source);
        var closed = ParensData.Closed(options.Depths, options.N, options.Seed, options.MaxClosed);
        return Run(model, ParensPrompts.Prepare(tokenizer, examples), ParensPrompts.Prepare(tokenizer, closed), options, progress,
            id => tokenizer.IdToToken(id) ?? id.ToString());
    }

    /// <summary>
    /// Greedy accuracy on the plain template (the study's prompts, labels and scoring, nothing else): <paramref name="perDepth"/>
    /// prompts per depth, one row per depth plus Depth 0 for all. The trainer's <c>--eval-parens</c> calls this.
    /// </summary>
    public static IReadOnlyList<AccuracyRow> Accuracy(HookedModel model, Tokenizer tokenizer, IReadOnlyList<int> depths, int perDepth, long seed = 0, int batch = 16)
    {
        if (!model.Info.IsCausal) throw new NotSupportedException($"{model.Info.Architecture} is not a causal LM; the paren accuracy scores the next token");
        var prompts = ParensPrompts.Prepare(tokenizer, ParensData.Load("template", depths, perDepth, seed));
        var outcomes = new List<PromptOutcome>();
        Passes(model, PromptBatch.Chunks(prompts, batch).ToList(), [], "accuracy", null, (b, cache) => outcomes.AddRange(ParensMeasures.Outcomes(cache, b)));
        return ParensSummaries.Accuracy(outcomes);
    }

    /// <summary>Runs the study on prepared prompts (main set and already-closed set); <paramref name="tokenText"/> names predicted ids in the viewer.</summary>
    /// <remarks>
    /// The same stages a sharded run executes one shard at a time (<see cref="Measure"/>, <see cref="MeanActivations.Merge"/>
    /// of the per-batch parts in batch order, <see cref="Ablate"/>, <see cref="Assemble"/>), so both give the same numbers.
    /// </remarks>
    public static ParensStudyResult Run(HookedModel model, IReadOnlyList<PreparedPrompt> prompts, IReadOnlyList<PreparedPrompt> closedPrompts,
        ParensStudyOptions options, IProgress<StudyProgress>? progress = null, Func<int, string>? tokenText = null)
    {
        var plan = new ParensPlan(prompts, closedPrompts, options);
        var seconds = new Dictionary<string, double>();
        using var measured = Measure(model, plan, Shard.All, progress, seconds);
        using var means = new MeanActivations();
        foreach (var (_, part) in measured.MeanParts) means.Merge(part);
        var runs = Ablate(model, plan, means, Shard.All, progress, seconds);
        return Assemble(ModelFacts.Of(model), plan, measured.Records, runs, seconds, tokenText ?? (id => id.ToString()));
    }

    /// <summary>
    /// Stages 1–5 and the mean activations' partial sums on <paramref name="shard"/>'s batches: per-prompt records of the
    /// main and already-closed passes, and one <see cref="MeanActivations"/> part per ablation batch (its global index).
    /// </summary>
    public static ParensMeasuredShard Measure(HookedModel model, ParensPlan plan, Shard shard, IProgress<StudyProgress>? progress, IDictionary<string, double> seconds)
    {
        var readout = Require(model, plan.Prompts.Concat(plan.ClosedPrompts));
        var clock = Stopwatch.StartNew();
        void Lap(string stage) { AddSeconds(seconds, stage, clock.Elapsed.TotalSeconds); clock.Restart(); }

        // 1–4: one pass per batch over the main prompts, caching the last position of the study hooks.
        var main = MeasureMain(model, readout, shard.Take(plan.MainChunks), attention: true, plan.ViewerIds, progress);
        Lap("study pass");
        // 5: counting heads on the already-closed variant.
        var counting = MeasureCounting(model, readout, shard.Take(plan.ClosedChunks), plan.ParenDepths, plan.ParenIds, progress);
        Lap("counting heads");
        // 6a: mean activations of the ablation prompts, one part per batch (summed later in batch order, never a mean of means).
        var meanHooks = Enumerable.Range(0, model.Info.NLayers).SelectMany(l => new[] { HookName.Z(l), HookName.AttnOut(l), HookName.MlpOut(l) }).ToArray();
        var (start, length) = shard.Range(plan.AblationChunks.Count);
        var parts = new List<(int, MeanActivations)>();
        for (int i = 0; i < length; i++)
        {
            progress?.Report(new StudyProgress("mean activations", i, length));
            using var batch = PromptBatch.Of(plan.AblationChunks[start + i]);
            using var cache = model.RunWithCache(batch.Ids, HookFilter.Names(meanHooks), batch.Mask, dtype: ScalarType.Float32);
            var part = new MeanActivations();
            using (NewDisposeScope()) part.Add(cache, batch, meanHooks);
            parts.Add((start + i, part));
        }
        progress?.Report(new StudyProgress("mean activations", length, length));
        Lap("mean activations");
        return new ParensMeasuredShard(new ParensMeasured(main.Outcomes, main.Lens, main.Dla, main.Roles, main.Viewer, counting.HeadParens, counting.ClosedOutcomes), parts);
    }

    /// <summary>Stage 6b: <paramref name="shard"/>'s (target, mode) ablations, each scored on every ablation prompt under the run's <paramref name="means"/>.</summary>
    public static IReadOnlyList<AblationRun> Ablate(HookedModel model, ParensPlan plan, MeanActivations means, Shard shard, IProgress<StudyProgress>? progress,
        IDictionary<string, double> seconds)
    {
        Require(model, plan.AblationPrompts);
        var clock = Stopwatch.StartNew();
        var units = ParensPlan.AblationUnits(model.Info.NLayers, model.Info.NHeads);
        var (start, length) = shard.Range(units.Count);
        var achunks = plan.AblationChunks.Select(PromptBatch.Of).ToList();
        var runs = new List<AblationRun>();
        try
        {
            for (int u = start; u < start + length; u++)
            {
                progress?.Report(new StudyProgress("ablation", u - start, length));
                var (target, mode) = (units[u].Target, units[u].Mode);
                var scored = new List<AblatedPrompt>();
                foreach (var batch in achunks)
                    scored.AddRange(Ablation.Score(model, batch, [mode == "zero" ? Ablation.Zero(target) : Ablation.Mean(target, means, batch)]));
                runs.Add(new AblationRun(u, target.ToString(), mode, scored));
            }
            progress?.Report(new StudyProgress("ablation", length, length));
        }
        finally { foreach (var b in achunks) b.Dispose(); }
        AddSeconds(seconds, "ablation", clock.Elapsed.TotalSeconds);
        return runs;
    }

    /// <summary>The summaries, viewer, claims and notes from every shard's records (in shard order) and every ablation.</summary>
    public static ParensStudyResult Assemble(ModelFacts model, ParensPlan plan, ParensMeasured records, IReadOnlyList<AblationRun> runs,
        IReadOnlyDictionary<string, double> seconds, Func<int, string> tokenText)
    {
        var (prompts, closedPrompts, options) = (plan.Prompts, plan.ClosedPrompts, plan.Options);
        int nl = model.NLayers, nh = model.NHeads;
        var units = ParensPlan.AblationUnits(nl, nh);
        if (runs.Count != units.Count)
            throw new InvalidDataException($"expected the {units.Count} ablations of a {nl}-layer, {nh}-head model, found {runs.Count}");
        for (int i = 0; i < runs.Count; i++)
            if (runs[i].Unit != i || runs[i].Target != units[i].Target.ToString() || runs[i].Mode != units[i].Mode)
                throw new InvalidDataException($"ablation {i}: expected {units[i].Target} ({units[i].Mode}), found unit {runs[i].Unit}: {runs[i].Target} ({runs[i].Mode})");
        var (outcomes, lens, dla) = (records.Outcomes, records.Lens, records.Dla);
        var clean = outcomes.ToDictionary(o => o.Id);
        var lensRows = ParensSummaries.Lens(lens);
        var dlaHeads = ParensSummaries.DlaHeads(dla, nl, nh);
        var accuracy = ParensSummaries.Accuracy(outcomes.Concat(records.ClosedOutcomes));
        var firstTop1 = ParensSummaries.FirstTop1(lens, lensRows);
        var dlaLayers = ParensSummaries.DlaLayers(dla, nl);
        var countingHeads = ParensSummaries.CountingHeads(records.HeadParens, plan.ParenDepths);
        var ablation = ParensSummaries.Ablation(clean, runs.Select(r => (units[r.Unit].Target, r.Mode, r.Scored)));
        var predicted = outcomes.ToDictionary(o => o.Id, o => o.PredictedId);
        var byId = prompts.ToDictionary(p => p.Example.Id);
        var notes = PromptNotes(prompts, closedPrompts, options);
        if (plan.AblationPrompts.Count < prompts.Count) notes.Add($"ablations use the first {options.AblationN} prompts of each depth ({plan.AblationPrompts.Count} prompts)");
        var parenIds = plan.ParenIds;
        var result = new ParensStudyResult
        {
            Info = new StudyInfo(model.Model, model.Architecture, nl, nh, model.DModel, model.DVocab, model.DType,
                options.Dataset, options.Depths, options.N, options.Seed, options.Batch, prompts.Count, closedPrompts.Count, plan.AblationPrompts.Count,
                parenIds, parenIds.Select(id => closedPrompts.FirstOrDefault(p => p.LabelId == id)?.LabelToken ?? "?").ToList(), new Dictionary<string, double>(seconds)),
            LabelChecks = ParensPrompts.Check(prompts.Concat(closedPrompts)),
            Accuracy = accuracy, LogitLens = lensRows, FirstTop1 = firstTop1,
            DlaSummary = ParensSummaries.DlaSummaries(dla), DlaLayers = dlaLayers, DlaHeads = dlaHeads,
            AttentionByRole = ParensSummaries.RoleAttention(records.Roles, dlaHeads, options.TopHeads),
            CountingHeads = countingHeads, Ablation = ablation,
            Viewer = records.Viewer.Select(v => (P: byId[v.Id], v.Rows)).OrderBy(v => v.P.Depth).Select(v => new ViewerPrompt(v.P.Example.Id, v.P.Depth, v.P.LabelToken,
                predicted.TryGetValue(v.P.Example.Id, out var pid) ? $"{tokenText(pid)} ({pid})" : "", v.P.Texts, v.P.Roles.Select(r => r.ToString()).ToList(), v.Rows)).ToList(),
            Claims = [], Notes = notes,
        };
        return result with { Claims = ParensClaims.Compare(result) };
    }

    /// <summary>Adds a stage's seconds (shards of one run add theirs).</summary>
    public static void AddSeconds(IDictionary<string, double> seconds, string stage, double s) =>
        seconds[stage] = Math.Round((seconds.TryGetValue(stage, out var had) ? had : 0) + s, 2);

    /// <summary>What the tokenizer did to the prompts that a reader must know (split labels, cut prompts, fallback counterfactuals, short depths).</summary>
    internal static List<string> PromptNotes(IReadOnlyList<PreparedPrompt> prompts, IReadOnlyList<PreparedPrompt> closedPrompts, ParensStudyOptions options)
    {
        var notes = new List<string>();
        if (prompts.Any(p => !p.LabelSingleToken)) notes.Add("some label runs are split by this tokenizer; their label is the first token of the run");
        if (prompts.Any(p => !p.PromptIsPrefix)) notes.Add("some prompts' tokens are not a prefix of prompt+label's tokens; those prompts were cut at the last token ending inside the prompt");
        if (prompts.Any(p => p.CounterfactualKind != "one more )")) notes.Add("for some depths one more ')' is not a single token; their counterfactual is one fewer ')' where that is a single token (see the label table)");
        foreach (var d in options.Depths)
            if (prompts.Count(p => p.Depth == d) is var have && have < options.N) notes.Add($"depth {d}: {have} prompts found, {options.N} requested");
        if (closedPrompts.Any(p => !p.PromptIsPrefix))
            notes.Add("this tokenizer writes the already-closed parens and the label as one merged run when they are tokenized together, so an already-closed prompt (its own ')' tokens, then a separate label token) is a token sequence the tokenizer does not produce for that text; read the closed-variant accuracy with that in mind");
        return notes;
    }

    /// <summary>Checks that the study can run on <paramref name="model"/> with these prompts; returns its readout.</summary>
    internal static Readout Require(HookedModel model, IEnumerable<PreparedPrompt> prompts)
    {
        if (!model.Info.IsCausal) throw new NotSupportedException($"{model.Info.Architecture} is not a causal LM; the parens study predicts the next token");
        var readout = model.Readout ?? throw new NotSupportedException($"{model.Info.Architecture} has no linear readout; the parens study needs final norm + unembedding");
        int vocab = model.Info.DVocab;
        foreach (var p in prompts)
            if (p.Ids.Any(i => i < 0 || i >= vocab) || p.LabelId >= vocab || p.CounterfactualId >= vocab)
                throw new InvalidDataException($"prompt {p.Example.Id}: token ids must lie in [0, {vocab}) for this model; the tokenizer does not match the model's vocabulary");
        return readout;
    }

    /// <summary>Per-prompt records of the main pass (stages 1–4); <see cref="Viewer"/> holds the attention rows of the viewer's prompts.</summary>
    internal sealed record MainMeasures(List<PromptOutcome> Outcomes, List<LensPoint> Lens, List<DlaPrompt> Dla, List<RoleAttentionPrompt> Roles,
        List<ViewerRows> Viewer);

    /// <summary>One cached pass per batch over the main prompts: outcomes, logit lens, attribution and (with <paramref name="attention"/>) attention by role.</summary>
    internal static MainMeasures MeasureMain(HookedModel model, Readout readout, IReadOnlyList<PreparedPrompt> prompts, int batchSize, bool attention,
        IReadOnlySet<string> viewerIds, IProgress<StudyProgress>? progress) =>
        MeasureMain(model, readout, PromptBatch.Chunks(prompts, batchSize).ToList(), attention, viewerIds, progress);

    internal static MainMeasures MeasureMain(HookedModel model, Readout readout, IReadOnlyList<IReadOnlyList<PreparedPrompt>> chunks, bool attention,
        IReadOnlySet<string> viewerIds, IProgress<StudyProgress>? progress)
    {
        int nl = model.Info.NLayers;
        var m = new MainMeasures([], [], [], [], []);
        Passes(model, chunks, ParensMeasures.StudyHooks(model), "study pass", progress, (batch, cache) =>
        {
            m.Outcomes.AddRange(ParensMeasures.Outcomes(cache, batch));
            m.Lens.AddRange(ParensMeasures.LogitLens(cache, readout, nl, batch));
            m.Dla.AddRange(ParensMeasures.Attribution(cache, readout, nl, batch));
            if (!attention) return;
            var rows = ParensMeasures.AttentionRows(cache, nl, batch);
            m.Roles.AddRange(ParensMeasures.ByRole(rows, batch));
            for (int b = 0; b < batch.Prompts.Count; b++) if (viewerIds.Contains(batch.Prompts[b].Example.Id)) m.Viewer.Add(new ViewerRows(batch.Prompts[b].Example.Id, rows[b]));
        });
        return m;
    }

    /// <summary>
    /// Head projections on the already-closed prompts (stage 5). <see cref="ParenIds"/>[i] is the label token of depth
    /// <see cref="ParenDepths"/>[i] (−1 when no closed prompt has that depth; then nothing is measured).
    /// </summary>
    internal sealed record CountingMeasures(IReadOnlyList<int> ParenDepths, IReadOnlyList<int> ParenIds, List<HeadParenPrompt> HeadParens, List<PromptOutcome> ClosedOutcomes);

    internal static CountingMeasures MeasureCounting(HookedModel model, Readout readout, IReadOnlyList<PreparedPrompt> closedPrompts, IReadOnlyList<int> depths,
        int batchSize, IProgress<StudyProgress>? progress)
    {
        var plan = new ParensPlan([], closedPrompts, new ParensStudyOptions { Depths = depths, Batch = batchSize });
        return MeasureCounting(model, readout, plan.ClosedChunks, plan.ParenDepths, plan.ParenIds, progress);
    }

    internal static CountingMeasures MeasureCounting(HookedModel model, Readout readout, IReadOnlyList<IReadOnlyList<PreparedPrompt>> chunks,
        IReadOnlyList<int> parenDepths, IReadOnlyList<int> parenIds, IProgress<StudyProgress>? progress)
    {
        int nl = model.Info.NLayers;
        var m = new CountingMeasures(parenDepths, parenIds, [], []);
        if (!parenIds.All(id => id >= 0) || chunks.Count == 0) return m;
        var closedHooks = new List<HookName> { HookName.LnFinalScale };
        for (int l = 0; l < nl; l++) { closedHooks.Add(HookName.Result(l)); closedHooks.Add(HookName.Pattern(l)); }
        Passes(model, chunks, closedHooks, "counting heads", progress, (batch, cache) =>
        {
            m.ClosedOutcomes.AddRange(ParensMeasures.Outcomes(cache, batch));
            m.HeadParens.AddRange(ParensMeasures.HeadParens(cache, readout, nl, batch, parenIds));
        });
        return m;
    }

    /// <summary>One last-position cached pass per batch of <paramref name="chunks"/>, handed to <paramref name="measure"/>, with progress under <paramref name="stage"/>.</summary>
    static void Passes(HookedModel model, IReadOnlyList<IReadOnlyList<PreparedPrompt>> chunks, IReadOnlyList<HookName> hooks, string stage,
        IProgress<StudyProgress>? progress, Action<PromptBatch, LastPositionCache> measure)
    {
        for (int i = 0; i < chunks.Count; i++)
        {
            progress?.Report(new StudyProgress(stage, i, chunks.Count));
            using var batch = PromptBatch.Of(chunks[i]);
            using var cache = LastPositionCache.Run(model, batch, hooks);
            measure(batch, cache);
        }
        progress?.Report(new StudyProgress(stage, chunks.Count, chunks.Count));
    }
}
