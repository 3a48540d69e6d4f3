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
        foreach (var chunk in PromptBatch.Chunks(prompts, batch))
        {
            using var b = PromptBatch.Of(chunk);
            using var cache = LastPositionCache.Run(model, b, []);
            outcomes.AddRange(ParensMeasures.Outcomes(cache, b));
        }
        return ParensSummaries.Accuracy(outcomes);
    }

    /// <summary>Runs the study on prepared prompts (main set and already-closed set); <paramref name="tokenText"/> names predicted ids in the viewer.</summary>
    public static ParensStudyResult Run(HookedModel model, IReadOnlyList<PreparedPrompt> prompts, IReadOnlyList<PreparedPrompt> closedPrompts,
        ParensStudyOptions options, IProgress<StudyProgress>? progress = null, Func<int, string>? tokenText = null)
    {
        tokenText ??= id => id.ToString();
        if (!model.Info.IsCausal) throw new NotSupportedException($"{model.Info.Architecture} is not a causal LM; the parens study predicts the next token");
        var readout = model.Readout ?? throw new NotSupportedException($"{model.Info.Architecture} has no linear readout; the parens study needs final norm + unembedding");
        var info = model.Info;
        int nl = info.NLayers, nh = info.NHeads;
        foreach (var p in prompts.Concat(closedPrompts))
            if (p.Ids.Any(i => i < 0 || i >= info.DVocab) || p.LabelId >= info.DVocab || p.CounterfactualId >= info.DVocab)
                throw new InvalidDataException($"prompt {p.Example.Id}: token ids must lie in [0, {info.DVocab}) for this model; the tokenizer does not match the model's vocabulary");
        var seconds = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        void Lap(string stage) { seconds[stage] = Math.Round(clock.Elapsed.TotalSeconds, 2); clock.Restart(); }

        // 1–4: one pass per batch over the main prompts, caching the last position of the study hooks.
        var outcomes = new List<PromptOutcome>(); var lens = new List<LensPoint>(); var dla = new List<DlaPrompt>();
        var roles = new List<RoleAttentionPrompt>(); var viewer = new List<(PreparedPrompt P, float[][][] Rows)>();
        var viewerIds = prompts.GroupBy(p => p.Depth).SelectMany(g => g.Take(options.ViewerPerDepth)).Select(p => p.Example.Id).ToHashSet();
        var hooks = ParensMeasures.StudyHooks(model);
        var chunks = PromptBatch.Chunks(prompts, options.Batch).ToList();
        for (int i = 0; i < chunks.Count; i++)
        {
            progress?.Report(new StudyProgress("study pass", i, chunks.Count));
            using var batch = PromptBatch.Of(chunks[i]);
            using var cache = LastPositionCache.Run(model, batch, hooks);
            outcomes.AddRange(ParensMeasures.Outcomes(cache, batch));
            lens.AddRange(ParensMeasures.LogitLens(cache, readout, nl, batch));
            dla.AddRange(ParensMeasures.Attribution(cache, readout, nl, batch));
            var rows = ParensMeasures.AttentionRows(cache, nl, batch);
            roles.AddRange(ParensMeasures.ByRole(rows, batch));
            for (int b = 0; b < batch.Prompts.Count; b++) if (viewerIds.Contains(batch.Prompts[b].Example.Id)) viewer.Add((batch.Prompts[b], rows[b]));
        }
        progress?.Report(new StudyProgress("study pass", chunks.Count, chunks.Count));
        Lap("study pass");

        // 5: counting heads on the already-closed variant.
        var parenDepths = options.Depths.OrderBy(d => d).ToList();
        var parenIds = parenDepths.Select(d => closedPrompts.Where(p => p.Depth == d).GroupBy(p => p.LabelId).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault(-1)).ToList();
        var headParens = new List<HeadParenPrompt>();
        var closedOutcomes = new List<PromptOutcome>();
        if (parenIds.All(id => id >= 0) && closedPrompts.Count > 0)
        {
            var closedHooks = new List<HookName> { HookName.LnFinalScale };
            for (int l = 0; l < nl; l++) { closedHooks.Add(HookName.Result(l)); closedHooks.Add(HookName.Pattern(l)); }
            var cchunks = PromptBatch.Chunks(closedPrompts, options.Batch).ToList();
            for (int i = 0; i < cchunks.Count; i++)
            {
                progress?.Report(new StudyProgress("counting heads", i, cchunks.Count));
                using var batch = PromptBatch.Of(cchunks[i]);
                using var cache = LastPositionCache.Run(model, batch, closedHooks);
                closedOutcomes.AddRange(ParensMeasures.Outcomes(cache, batch));
                headParens.AddRange(ParensMeasures.HeadParens(cache, readout, nl, batch, parenIds));
            }
            progress?.Report(new StudyProgress("counting heads", cchunks.Count, cchunks.Count));
        }
        Lap("counting heads");

        // 6: ablations on the first AblationN prompts of each depth; means from caches of those prompts.
        var ablationPrompts = prompts.GroupBy(p => p.Depth).SelectMany(g => g.Take(options.AblationN)).ToList();
        // rows of any depth (means are per row); 4 × --batch per pass: ablation passes keep no caches, and fewer, larger passes cut per-op overhead
        var achunks = PromptBatch.Chunks(ablationPrompts, 4 * options.Batch, byDepth: false).Select(PromptBatch.Of).ToList();
        using var means = new MeanActivations();
        var meanHooks = Enumerable.Range(0, nl).SelectMany(l => new[] { HookName.Z(l), HookName.AttnOut(l), HookName.MlpOut(l) }).ToList();
        for (int i = 0; i < achunks.Count; i++)
        {
            progress?.Report(new StudyProgress("mean activations", i, achunks.Count));
            var batch = achunks[i];
            using var cache = model.RunWithCache(batch.Ids, HookFilter.Names(meanHooks.ToArray()), batch.Mask, dtype: ScalarType.Float32);
            using (NewDisposeScope()) means.Add(cache, batch, meanHooks);
        }
        var targets = Ablation.AllTargets(nl, nh);
        var runs = new List<(AblationTarget, string, IReadOnlyList<AblatedPrompt>)>();
        int total = targets.Count * 2, done = 0;
        foreach (var target in targets)
            foreach (var mode in new[] { "zero", "mean" })
            {
                progress?.Report(new StudyProgress("ablation", done++, total));
                var scored = new List<AblatedPrompt>();
                foreach (var batch in achunks)
                    scored.AddRange(Ablation.Score(model, batch, [mode == "zero" ? Ablation.Zero(target) : Ablation.Mean(target, means, batch)]));
                runs.Add((target, mode, scored));
            }
        progress?.Report(new StudyProgress("ablation", total, total));
        foreach (var b in achunks) b.Dispose();
        Lap("ablation");

        var clean = outcomes.ToDictionary(o => o.Id);
        var lensRows = ParensSummaries.Lens(lens);
        var dlaHeads = ParensSummaries.DlaHeads(dla, nl, nh);
        var accuracy = ParensSummaries.Accuracy(outcomes.Concat(closedOutcomes));
        var firstTop1 = ParensSummaries.FirstTop1(lens, lensRows);
        var dlaLayers = ParensSummaries.DlaLayers(dla, nl);
        var counting = ParensSummaries.CountingHeads(headParens, parenDepths);
        var ablation = ParensSummaries.Ablation(clean, runs);
        var predicted = outcomes.ToDictionary(o => o.Id, o => o.PredictedId);
        var notes = new List<string>();
        if (prompts.Any(p => !p.LabelSingleToken)) notes.Add("some label runs are split by this tokenizer; their label is the first token of the run");
        if (prompts.Any(p => !p.PromptIsPrefix)) notes.Add("some prompts' tokens are not a prefix of prompt+label's tokens; those prompts were cut at the last token ending inside the prompt");
        if (prompts.Any(p => p.CounterfactualKind != "one more )")) notes.Add("for some depths one more ')' is not a single token; their counterfactual is one fewer ')' where that is a single token (see the label table)");
        foreach (var d in options.Depths)
            if (prompts.Count(p => p.Depth == d) is var have && have < options.N) notes.Add($"depth {d}: {have} prompts found, {options.N} requested");
        if (closedPrompts.Any(p => !p.PromptIsPrefix))
            notes.Add("this tokenizer writes the already-closed parens and the label as one merged run when they are tokenized together, so an already-closed prompt (its own ')' tokens, then a separate label token) is a token sequence the tokenizer does not produce for that text; read the closed-variant accuracy with that in mind");
        if (ablationPrompts.Count < prompts.Count) notes.Add($"ablations use the first {options.AblationN} prompts of each depth ({ablationPrompts.Count} prompts)");
        var result = new ParensStudyResult
        {
            Info = new StudyInfo(model.SourceDirectory ?? "(in memory)", info.Architecture, nl, nh, info.DModel, info.DVocab, model.DType.ToString(),
                options.Dataset, options.Depths, options.N, options.Seed, options.Batch, prompts.Count, closedPrompts.Count, ablationPrompts.Count,
                parenIds, parenIds.Select(id => closedPrompts.FirstOrDefault(p => p.LabelId == id)?.LabelToken ?? "?").ToList(), seconds),
            LabelChecks = ParensPrompts.Check(prompts.Concat(closedPrompts)),
            Accuracy = accuracy, LogitLens = lensRows, FirstTop1 = firstTop1,
            DlaSummary = ParensSummaries.DlaSummaries(dla), DlaLayers = dlaLayers, DlaHeads = dlaHeads,
            AttentionByRole = ParensSummaries.RoleAttention(roles, dlaHeads, options.TopHeads),
            CountingHeads = counting, Ablation = ablation,
            Viewer = viewer.OrderBy(v => v.P.Depth).Select(v => new ViewerPrompt(v.P.Example.Id, v.P.Depth, v.P.LabelToken,
                predicted.TryGetValue(v.P.Example.Id, out var pid) ? $"{tokenText(pid)} ({pid})" : "", v.P.Texts, v.P.Roles.Select(r => r.ToString()).ToList(), v.Rows)).ToList(),
            Claims = [], Notes = notes,
        };
        return result with { Claims = ParensClaims.Compare(result) };
    }
}
