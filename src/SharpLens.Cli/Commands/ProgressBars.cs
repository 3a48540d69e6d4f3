// Progress bars for long study stages: Spectre bars on a terminal, a line per quarter of a stage when output is redirected.
using SharpLens.Analysis.Parens;
using Spectre.Console;

namespace SharpLens.Cli.Commands;

internal static class ProgressBars
{
    /// <summary>Runs <paramref name="run"/>, showing one bar per <see cref="StudyProgress.Stage"/> it reports.</summary>
    public static T Run<T>(Func<IProgress<StudyProgress>, T> run)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            string? last = null; int lastPct = -1;
            return run(new SyncProgress(p =>
            {
                int pct = p.Total == 0 ? 100 : 100 * p.Done / p.Total;
                if (p.Stage == last && pct / 25 == lastPct / 25) return;
                last = p.Stage; lastPct = pct;
                Console.WriteLine($"{p.Stage}: {p.Done}/{p.Total}");
            }));
        }
        T result = default!;
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = run(new SyncProgress(p =>
                {
                    if (!tasks.TryGetValue(p.Stage, out var t)) tasks[p.Stage] = t = ctx.AddTask(Markup.Escape(p.Stage), maxValue: Math.Max(1, p.Total));
                    t.Value = p.Done;
                }));
            });
        return result;
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    sealed class SyncProgress(Action<StudyProgress> report) : IProgress<StudyProgress>
    {
        public void Report(StudyProgress value) => report(value);
    }
}
