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
    /// <summary>Generates the study's prompts (template or mined, same seed for every step) with <paramref name="tokenizer"/> and runs <see cref="Run(IReadOnlyList{SeriesCheckpoint}, IReadOnlyList{PreparedPrompt}, IReadOnlyList{PreparedPrompt}, ParensDynamicsOptions, IModelSource, IProgress{StudyProgress}?)"/>.</summary>
    public static ParensDynamicsResult Run(IReadOnlyList<SeriesCheckpoint> series, Tokenizer tokenizer, ParensDynamicsOptions options,
        IModelSource models, IProgress<StudyProgress>? progress = null)
    {
        var o = options.Study;
        var prompts = ParensPrompts.Prepare(tokenizer, ParensData.Load(o.Dataset, o.Depths, o.N, o.Seed, o.Source));
        var closed = ParensPrompts.Prepare(tokenizer, ParensData.Closed(o.Depths, o.N, o.Seed, o.MaxClosed));
        return Run(series, prompts, closed, options, models, progress);
    }

    /// <summary>Measures every checkpoint of <paramref name="series"/> (ordered by step) on the same prepared prompts: <see cref="MeasureStep"/> each, then <see cref="Assemble"/>.</summary>
    public static ParensDynamicsResult Run(IReadOnlyList<SeriesCheckpoint> series, IReadOnlyList<PreparedPrompt> prompts, IReadOnlyList<PreparedPrompt> closedPrompts,
        ParensDynamicsOptions options, IModelSource models, IProgress<StudyProgress>? progress = null)
    {
        Check(series.Count, options);
        var steps = new List<DynamicsStepResult>();
        for (int i = 0; i < series.Count; i++)
            steps.Add(MeasureStep(series[i], i, series.Count, prompts, closedPrompts, options, models, progress, steps.Count == 0 ? null : steps[0]));
        return Assemble(steps, prompts, closedPrompts, options);
    }

    /// <summary>
    /// One checkpoint (<paramref name="index"/> of <paramref name="count"/> in its series): opens it through
    /// <paramref name="models"/> (one model in memory at a time), runs the study's
    /// measurement passes and reduces them with the study's summaries. <paramref name="first"/>, when given, is the
    /// series' first step, whose architecture this one must share.
    /// </summary>
    public static DynamicsStepResult MeasureStep(SeriesCheckpoint checkpoint, int index, int count, IReadOnlyList<PreparedPrompt> prompts,
        IReadOnlyList<PreparedPrompt> closedPrompts, ParensDynamicsOptions options, IModelSource models, IProgress<StudyProgress>? progress = null,
        DynamicsStepResult? first = null)
    {
        var o = options.Study;
        var (step, dir) = (checkpoint.Step, checkpoint.Directory);
        var clock = Stopwatch.StartNew();
        var stepProgress = progress is null ? null : new Prefixed(progress, $"step {step} ({index + 1}/{count})");
        stepProgress?.Report(new StudyProgress("loading", 0, 1));
        using var model = models.OpenModel(dir);
        stepProgress?.Report(new StudyProgress("loading", 1, 1));
        var facts = new DynamicsModel(model.Info.Architecture, model.Info.NLayers, model.Info.NHeads, model.Info.DModel, model.Info.DVocab, model.DType.ToString());
        if (first is not null) CheckSameModel(first, facts, dir);
        var readout = ParensStudy.Require(model, prompts.Concat(closedPrompts));
        var main = ParensStudy.MeasureMain(model, readout, prompts, o.Batch, attention: false, new HashSet<string>(), stepProgress);
        var counting = ParensStudy.MeasureCounting(model, readout, closedPrompts, o.Depths, o.Batch, stepProgress);

        var accuracy = ParensSummaries.Accuracy(main.Outcomes.Concat(counting.ClosedOutcomes))
            .Select(a => new StepAccuracyRow(step, a.Variant, a.Depth, a.N, a.Correct, a.Accuracy, a.MeanLabelProb, a.MeanLogitDiff)).ToList();
        var lens = ParensSummaries.FirstTop1(main.Lens, ParensSummaries.Lens(main.Lens))
            .Select(f => new StepLensRow(step, f.Depth, f.Site, f.Layer is int l ? (f.Site == "resid_pre" ? -1 : l) : null, f.Top1Fraction, f.MeanFirstLayer, f.PromptsNeverTop1)).ToList();
        var attribution = ParensSummaries.DlaSummaries(main.Dla)
            .Select(s => new StepAttributionRow(step, s.Depth, s.N, s.TotalAttn, s.TotalMlp, s.Embed, s.MeanActual, s.MaxAbsError)).ToList();
        // ranks are 1..n in order, so the rows flagged Top are the top-k set in rank order
        var heads = ParensSummaries.CountingHeads(counting.HeadParens, counting.ParenDepths)
            .Select(h => new StepHeadRow(step, h.Rank, h.Layer, h.Head, h.Score, h.CorrectRate, h.ClosedRate, h.CorrAttnClosed, h.Verdict, h.Rank <= options.TopK)).ToList();
        return new DynamicsStepResult(new DynamicsStep(step, dir, Math.Round(clock.Elapsed.TotalSeconds, 2)), facts, accuracy, lens, attribution, heads);
    }

    /// <summary>The result from every step's rows (in step order): run facts, label checks, persistence of the top-k heads, notes.</summary>
    public static ParensDynamicsResult Assemble(IReadOnlyList<DynamicsStepResult> steps, IReadOnlyList<PreparedPrompt> prompts, IReadOnlyList<PreparedPrompt> closedPrompts,
        ParensDynamicsOptions options)
    {
        Check(steps.Count, options);
        var o = options.Study;
        var first = steps[0].Model;
        foreach (var s in steps.Skip(1)) CheckSameModel(steps[0], s.Model, s.Step.Checkpoint);
        var notes = ParensStudy.PromptNotes(prompts, closedPrompts, o);
        var heads = steps.SelectMany(s => s.Heads).ToList();
        if (heads.Count == 0) notes.Add("no counting heads were scored: the already-closed prompts do not cover every depth's label token");
        return new ParensDynamicsResult
        {
            Info = new DynamicsInfo(first.Architecture, first.NLayers, first.NHeads, first.DModel, first.DVocab, first.DType, o.Dataset, o.Depths, o.N, o.Seed, o.Batch,
                prompts.Count, closedPrompts.Count, options.TopK, steps.Select(s => s.Step).ToList()),
            LabelChecks = ParensPrompts.Check(prompts.Concat(closedPrompts)),
            Accuracy = steps.SelectMany(s => s.Accuracy).ToList(), FirstTop1 = steps.SelectMany(s => s.FirstTop1).ToList(),
            Attribution = steps.SelectMany(s => s.Attribution).ToList(), Heads = heads,
            Persistence = Persistence(steps.Select(s => (s.Step.Step, (IReadOnlyList<(int Layer, int Head)>)s.Heads.Where(h => h.Top).Select(h => (h.Layer, h.Head)).ToList())).ToList()),
            Notes = notes,
        };
    }

    static void Check(int steps, ParensDynamicsOptions options)
    {
        if (steps == 0) throw new ArgumentException("expected at least one checkpoint folder, found an empty list");
        if (options.TopK < 1) throw new ArgumentException($"the top counting-head set needs k ≥ 1, found {options.TopK}");
    }

    static void CheckSameModel(DynamicsStepResult first, DynamicsModel model, string dir)
    {
        var f = first.Model;
        if (model.Architecture != f.Architecture || model.NLayers != f.NLayers || model.NHeads != f.NHeads || model.DModel != f.DModel || model.DVocab != f.DVocab)
            throw new InvalidDataException($"{dir}: {Describe(model)}, but the first checkpoint is {Describe(f)}; expected checkpoints of one run");
    }

    /// <summary>Overlap and Jaccard index of each step's top-k head set with the final step's and the previous step's.</summary>
    public static IReadOnlyList<StepPersistenceRow> Persistence(IReadOnlyList<(long Step, IReadOnlyList<(int Layer, int Head)> Top)> topSets)
    {
        static HashSet<(int, int)> Set(IReadOnlyList<(int Layer, int Head)> top) => top.ToHashSet();
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

    static string Describe(DynamicsModel i) => $"{i.Architecture} with {i.NLayers} layers × {i.NHeads} heads, d_model {i.DModel}, vocab {i.DVocab}";

    /// <summary>Prefixes each stage with the checkpoint it belongs to (reports on the calling thread).</summary>
    sealed class Prefixed(IProgress<StudyProgress> inner, string prefix) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => inner.Report(value with { Stage = $"{prefix}: {value.Stage}" });
    }
}
