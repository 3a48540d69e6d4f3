// Study 1 across training: the study's measures (no ablations) on every checkpoint of one run, with the same prompts at every step.
using System.Diagnostics;
using SharpLens.Loading;
using SharpLens.Tokenization;

namespace SharpLens.Analysis.Parens;

/// <summary>
/// Runs the closing-parenthesis study's measurement passes (<see cref="ParensStudy"/> stages 1–5: accuracy, logit lens,
/// attribution, counting heads) on each checkpoint of a series, one model in memory at a time, and reduces each step
/// with the study's own summaries, so a step's numbers are the single-model study's numbers on that checkpoint.
/// </summary>
public static class ParensDynamics
{
    /// <summary>Generates the study's prompts (template or mined, same seed for every step) with <paramref name="tokenizer"/> and runs <see cref="Run(IReadOnlyList{SeriesCheckpoint}, IReadOnlyList{PreparedPrompt}, IReadOnlyList{PreparedPrompt}, ParensDynamicsOptions, LoadOptions?, IProgress{StudyProgress}?)"/>.</summary>
    public static ParensDynamicsResult Run(IReadOnlyList<SeriesCheckpoint> series, Tokenizer tokenizer, ParensDynamicsOptions options,
        LoadOptions? load = null, IProgress<StudyProgress>? progress = null)
    {
        var o = options.Study;
        var prompts = ParensPrompts.Prepare(tokenizer, ParensData.Load(o.Dataset, o.Depths, o.N, o.Seed, o.Source));
        var closed = ParensPrompts.Prepare(tokenizer, ParensData.Closed(o.Depths, o.N, o.Seed, o.MaxClosed));
        return Run(series, prompts, closed, options, load, progress);
    }

    /// <summary>Measures every checkpoint of <paramref name="series"/> (ordered by step) on the same prepared prompts.</summary>
    public static ParensDynamicsResult Run(IReadOnlyList<SeriesCheckpoint> series, IReadOnlyList<PreparedPrompt> prompts, IReadOnlyList<PreparedPrompt> closedPrompts,
        ParensDynamicsOptions options, LoadOptions? load = null, IProgress<StudyProgress>? progress = null)
    {
        if (series.Count == 0) throw new ArgumentException("expected at least one checkpoint folder, found an empty list");
        if (options.TopK < 1) throw new ArgumentException($"the top counting-head set needs k ≥ 1, found {options.TopK}");
        var o = options.Study;
        var steps = new List<DynamicsStep>();
        var accuracy = new List<StepAccuracyRow>(); var lens = new List<StepLensRow>(); var attribution = new List<StepAttributionRow>();
        var heads = new List<StepHeadRow>(); var topSets = new List<(long Step, List<CountingHeadRow> Top)>();
        ModelInfo? first = null; string dtype = "";
        for (int i = 0; i < series.Count; i++)
        {
            var (step, dir) = (series[i].Step, series[i].Directory);
            var clock = Stopwatch.StartNew();
            var stepProgress = progress is null ? null : new Prefixed(progress, $"step {step} ({i + 1}/{series.Count})");
            stepProgress?.Report(new StudyProgress("loading", 0, 1));
            using var model = ModelLoader.Load(dir, load);
            stepProgress?.Report(new StudyProgress("loading", 1, 1));
            if (first is null) (first, dtype) = (model.Info, model.DType.ToString());
            else if (model.Info.Architecture != first.Architecture || model.Info.NLayers != first.NLayers || model.Info.NHeads != first.NHeads
                     || model.Info.DModel != first.DModel || model.Info.DVocab != first.DVocab)
                throw new InvalidDataException($"{dir}: {Describe(model.Info)}, but the first checkpoint is {Describe(first)}; expected checkpoints of one run");
            var readout = ParensStudy.Require(model, prompts.Concat(closedPrompts));
            var main = ParensStudy.MeasureMain(model, readout, prompts, o.Batch, attention: false, new HashSet<string>(), stepProgress);
            var counting = ParensStudy.MeasureCounting(model, readout, closedPrompts, o.Depths, o.Batch, stepProgress);

            accuracy.AddRange(ParensSummaries.Accuracy(main.Outcomes.Concat(counting.ClosedOutcomes))
                .Select(a => new StepAccuracyRow(step, a.Variant, a.Depth, a.N, a.Correct, a.Accuracy, a.MeanLabelProb, a.MeanLogitDiff)));
            lens.AddRange(ParensSummaries.FirstTop1(main.Lens, ParensSummaries.Lens(main.Lens))
                .Select(f => new StepLensRow(step, f.Depth, f.Site, f.Layer is int l ? (f.Site == "resid_pre" ? -1 : l) : null, f.Top1Fraction, f.MeanFirstLayer, f.PromptsNeverTop1)));
            attribution.AddRange(ParensSummaries.DlaSummaries(main.Dla)
                .Select(s => new StepAttributionRow(step, s.Depth, s.N, s.TotalAttn, s.TotalMlp, s.Embed, s.MeanActual, s.MaxAbsError)));
            var ranked = ParensSummaries.CountingHeads(counting.HeadParens, counting.ParenDepths);
            heads.AddRange(ranked.Select(h => new StepHeadRow(step, h.Rank, h.Layer, h.Head, h.Score, h.CorrectRate, h.ClosedRate, h.CorrAttnClosed, h.Verdict, h.Rank <= options.TopK)));
            topSets.Add((step, ranked.Take(options.TopK).ToList()));
            steps.Add(new DynamicsStep(step, dir, Math.Round(clock.Elapsed.TotalSeconds, 2)));
        }

        var notes = ParensStudy.PromptNotes(prompts, closedPrompts, o);
        if (heads.Count == 0) notes.Add("no counting heads were scored: the already-closed prompts do not cover every depth's label token");
        return new ParensDynamicsResult
        {
            Info = new DynamicsInfo(first!.Architecture, first.NLayers, first.NHeads, first.DModel, first.DVocab, dtype, o.Dataset, o.Depths, o.N, o.Seed, o.Batch,
                prompts.Count, closedPrompts.Count, options.TopK, steps),
            LabelChecks = ParensPrompts.Check(prompts.Concat(closedPrompts)),
            Accuracy = accuracy, FirstTop1 = lens, Attribution = attribution, Heads = heads, Persistence = Persistence(topSets), Notes = notes,
        };
    }

    /// <summary>Overlap and Jaccard index of each step's top-k head set with the final step's and the previous step's.</summary>
    public static IReadOnlyList<StepPersistenceRow> Persistence(IReadOnlyList<(long Step, List<CountingHeadRow> Top)> topSets)
    {
        static HashSet<(int, int)> Set(List<CountingHeadRow> top) => top.Select(h => (h.Layer, h.Head)).ToHashSet();
        var final = topSets.Count == 0 ? [] : Set(topSets[^1].Top);
        return topSets.Select((t, i) =>
        {
            var set = Set(t.Top);
            return new StepPersistenceRow(t.Step, string.Join(" ", t.Top.Select(h => $"L{h.Layer}H{h.Head}")), set.Intersect(final).Count(),
                Jaccard(set, final), i == 0 ? double.NaN : Jaccard(set, Set(topSets[i - 1].Top)));
        }).ToList();
    }

    /// <summary>|A ∩ B| / |A ∪ B|; NaN when both are empty.</summary>
    public static double Jaccard<T>(IReadOnlySet<T> a, IReadOnlySet<T> b)
    {
        int union = a.Union(b).Count();
        return union == 0 ? double.NaN : a.Intersect(b).Count() / (double)union;
    }

    static string Describe(ModelInfo i) => $"{i.Architecture} with {i.NLayers} layers × {i.NHeads} heads, d_model {i.DModel}, vocab {i.DVocab}";

    /// <summary>Prefixes each stage with the checkpoint it belongs to (reports on the calling thread).</summary>
    sealed class Prefixed(IProgress<StudyProgress> inner, string prefix) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => inner.Report(value with { Stage = $"{prefix}: {value.Stage}" });
    }
}
