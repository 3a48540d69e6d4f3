// The parens study across training on the snapshots of a tiny real training run: each step equals the single-model study, the report, bad inputs.
using System.Text.Json;
using SharpLens.Analysis.Parens;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Tests.Support;
using SharpLens.Tests.Training;
using SharpLens.Tokenization;
using SharpLens.Training;

namespace SharpLens.Tests.Parens;

/// <summary>A 2-layer Llama trained 3 steps on the TinyRun corpus with a snapshot after every step (OUT/snapshots/step_00000{1,2,3}).</summary>
public sealed class TrainedSeries : IDisposable
{
    readonly TinyRun run = new();
    public string Snapshots { get; }
    public string Step(int s) => Trainer.SnapshotPath(run.Out("run"), s);

    public TrainedSeries()
    {
        Trainer.Run(TinyRun.Options(3) with { SnapshotEvery = 1 }, run.Tokenizer, run.Cache, run.Out("run"), resume: false);
        Snapshots = Path.Combine(run.Out("run"), "snapshots");
    }

    public void Dispose() => run.Dispose();
}

public sealed class ParensDynamicsTests(TrainedSeries series) : IClassFixture<TrainedSeries>
{
    static readonly ParensDynamicsOptions Options = new() { Study = new ParensStudyOptions { Depths = [1, 2, 3], N = 4, Batch = 5 }, TopK = 2 };

    static (int Code, string Stderr) Cli(params string[] args) => Support.Cli.Run(["parens-dynamics", .. args]);

    [Fact]
    public void Every_step_equals_the_single_model_study_on_that_checkpoint()
    {
        var checkpoints = CheckpointSeries.Discover([series.Snapshots]);
        Assert.Equal([1L, 2L, 3L], checkpoints.Select(c => c.Step));
        var tok = Tokenizer.Load(checkpoints[0].Directory);
        var result = ParensDynamics.Run(checkpoints, tok, Options, ModelFolders.Default);

        foreach (var c in checkpoints)
        {
            // Given the study on this checkpoint alone, with the same prompt options
            using var model = ModelLoader.Load(c.Directory);
            var study = ParensStudy.Run(model, tok, Options.Study with { AblationN = 1 });

            // Then the step's rows hold the study's numbers (same code path and batches: equal, not merely close)
            var acc = result.Accuracy.Where(a => a.Step == c.Step).ToList();
            Assert.Equal(study.Accuracy.Count, acc.Count);
            foreach (var a in study.Accuracy)
            {
                var s = Assert.Single(acc, x => x.Variant == a.Variant && x.Depth == a.Depth);
                Assert.Equal((a.N, a.Correct, a.Accuracy, a.MeanLabelProb, a.MeanLogitDiff), (s.N, s.Correct, s.Accuracy, s.MeanLabelProb, s.MeanLogitDiff));
            }
            foreach (var f in study.FirstTop1)
            {
                var s = Assert.Single(result.FirstTop1, x => x.Step == c.Step && x.Depth == f.Depth);
                Assert.Equal((f.Site, f.Top1Fraction, f.MeanFirstLayer, f.PromptsNeverTop1), (s.Site, s.Top1Fraction, s.MeanFirstLayer, s.PromptsNeverTop1));
                Assert.Equal(f.Layer is int l ? f.Site == "resid_pre" ? -1 : l : null, s.FirstLayer);
            }
            foreach (var d in study.DlaSummary)
            {
                var s = Assert.Single(result.Attribution, x => x.Step == c.Step && x.Depth == d.Depth);
                Assert.Equal((d.N, d.TotalAttn, d.TotalMlp, d.Embed, d.MeanActual), (s.N, s.Attn, s.Mlp, s.Embed, s.MeanLogitDiff));
                Assert.True(s.MaxAbsError < 1e-4, $"attribution identity off by {s.MaxAbsError}");   // fp32, the study's own bound
            }
            var heads = result.Heads.Where(h => h.Step == c.Step).ToList();
            Assert.Equal(study.CountingHeads.Count, heads.Count);
            Assert.Equal(model.Info.NLayers * model.Info.NHeads, heads.Count);
            foreach (var h in study.CountingHeads)
            {
                var s = Assert.Single(heads, x => x.Layer == h.Layer && x.Head == h.Head);
                Assert.Equal((h.Rank, h.Score, h.CorrectRate, h.ClosedRate, h.Verdict, h.Rank <= Options.TopK), (s.Rank, s.Score, s.CorrectRate, s.ClosedRate, s.Verdict, s.Top));
            }
        }

        // And persistence is the Jaccard index of the top-k sets as listed in the head rows
        HashSet<(int, int)> Top(long step) => result.Heads.Where(h => h.Step == step && h.Top).Select(h => (h.Layer, h.Head)).ToHashSet();
        var final = Top(3);
        Assert.Equal(Options.TopK, final.Count);
        foreach (var p in result.Persistence)
        {
            var set = Top(p.Step);
            Assert.Equal(set.Intersect(final).Count(), p.OverlapWithFinal);
            Assert.Equal(set.Intersect(final).Count() / (double)set.Union(final).Count(), p.JaccardFinal);
        }
        Assert.Equal(1.0, result.Persistence[^1].JaccardFinal);
        Assert.True(double.IsNaN(result.Persistence[0].JaccardPrevious));
        Assert.Equal([1L, 2L, 3L], result.Info.Steps.Select(s => s.Step));
    }

    [Fact]
    public void Jaccard_is_intersection_over_union()
    {
        Assert.Equal(1 / 3.0, ParensDynamics.Jaccard(new HashSet<int> { 1, 2 }, new HashSet<int> { 2, 3 }));
        Assert.Equal(1.0, ParensDynamics.Jaccard(new HashSet<int> { 4 }, new HashSet<int> { 4 }));
        Assert.True(double.IsNaN(ParensDynamics.Jaccard(new HashSet<int>(), new HashSet<int>())));
    }

    [Fact]
    public void Explicit_folders_in_any_order_are_sorted_by_step_like_their_parent()
    {
        var explicitOrder = CheckpointSeries.Discover([series.Step(3), series.Step(1), series.Step(2)]);
        Assert.Equal(CheckpointSeries.Discover([series.Snapshots]), explicitOrder);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointSeries.Discover([series.Step(2), series.Snapshots]));
        Assert.Contains("step 2 appears more than once", e.Message);
        Assert.Throws<ArgumentException>(() => CheckpointSeries.Discover([]));
    }

    [Fact]
    public void The_command_writes_a_self_contained_report_with_json_and_csv()
    {
        using var tmp = new TempDir();
        var outDir = tmp.File("dyn");
        var (code, err) = Cli("--checkpoints", series.Snapshots, "--out", outDir, "--n", "3", "--depths", "1-2", "--batch", "4", "--top-k", "2");
        Assert.True(code == 0, err);

        Assert.Equal(ParensDynamicsReport.Files.Order(), Directory.GetFiles(outDir).Select(Path.GetFileName).Order());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        Assert.Equal([1L, 2L, 3L], json.RootElement.GetProperty("info").GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("step").GetInt64()));
        foreach (var key in new[] { "label_checks", "accuracy", "first_top1", "attribution", "heads", "persistence", "notes" })
            Assert.True(json.RootElement.TryGetProperty(key, out _), $"results.json lacks {key}");
        Assert.StartsWith("step,variant,depth,n,correct,accuracy", File.ReadAllText(Path.Combine(outDir, "accuracy.csv")));
        Assert.Equal(1 + 3 * 2 * 2, File.ReadAllLines(Path.Combine(outDir, "heads.csv")).Length);   // header + steps × layers × heads
        Assert.Equal(1 + 3, File.ReadAllLines(Path.Combine(outDir, "persistence.csv")).Length);

        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        HtmlAssert.SelfContained(html);
        Assert.Equal(6, HtmlAssert.FiguresHaveData(html, 6));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "<section "));
        Assert.DoesNotContain(Directory.GetDirectories(tmp.Path), d => Path.GetFileName(d).StartsWith(".dyn"));
    }

    [Fact]
    public void Mixed_runs_and_non_models_are_refused_with_one_error_line_and_nothing_written()
    {
        using var tmp = new TempDir();
        string Copy(int step, string into)
        {
            var dest = Path.Combine(tmp.Path, into, Path.GetFileName(series.Step(step)));
            Directory.CreateDirectory(dest);
            foreach (var f in Directory.GetFiles(series.Step(step))) File.Copy(f, Path.Combine(dest, Path.GetFileName(f)));
            return dest;
        }
        var wider = Copy(2, "wider");
        File.WriteAllText(Path.Combine(wider, "config.json"), File.ReadAllText(Path.Combine(wider, "config.json")).Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
        var retok = Copy(2, "retok");
        File.AppendAllText(Path.Combine(retok, "tokenizer.json"), "\n");
        var noWeights = Copy(2, "noweights");
        File.Delete(Path.Combine(noWeights, "model.safetensors"));
        var misnamed = Path.Combine(tmp.Path, "final");
        Directory.Move(Copy(3, "x"), misnamed);
        Directory.CreateDirectory(tmp.File("empty"));

        var outDir = tmp.File("out");
        foreach (var (args, expect) in new (string[], string)[]
        {
            ([series.Step(1), wider], "config.json 'num_hidden_layers' is 2 in"),
            ([series.Step(1), retok], "checkpoints with different tokenizers"),
            ([series.Step(1), noWeights], "no weights found"),
            ([series.Step(1), misnamed], "expected the folder name step_N"),
            ([tmp.File("empty")], "expected a model folder named step_N"),
            ([tmp.File("nowhere")], "checkpoint folder not found"),
            ([], "expected at least one checkpoint folder, found an empty list"),
        })
        {
            var (code, err) = Cli(["--checkpoints", .. args, "--out", outDir, "--n", "2"]);
            var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(code == 2, $"{string.Join(" ", args)}: exit {code}\n{err}");
            Assert.True(lines.Length == 1 && lines[0].StartsWith("error: ") && lines[0].Contains(expect), $"expected one error line with '{expect}', found:\n{err}");
            Assert.False(Directory.Exists(outDir));
        }
    }
}
