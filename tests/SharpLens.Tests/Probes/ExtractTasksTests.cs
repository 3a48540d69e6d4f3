// PairFeatures.ExtractTasks: one pass over the functions of several tasks gives each task what Extract gives it alone.
using SharpLens.Analysis.Probes;
using SharpLens.Loading;
using SharpLens.Tests.SsmInterpret;
using SharpLens.Tests.Support;
using SharpLens.Tokenization;

namespace SharpLens.Tests.Probes;

public sealed class ExtractTasksTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    [Fact]
    public void Joint_extraction_equals_extraction_per_task()
    {
        StudyFolders.Create(dir.Path, [("codessm", "codessm", "pretrained", null)]);
        var model = ModelLoader.Load(dir.File("codessm"));
        var tokenizer = Tokenizer.Load(dir.File("codessm"));
        var lists = new[] { "sibling", "dataflow" }.Select(t => PairsFile.Read(Path.Combine(dir.Path, "pairs", t + ".jsonl"))).ToList();
        int[] layers = [0, 3];
        var joint = PairFeatures.ExtractTasks(model, tokenizer, lists, layers, maxTokens: 256, batchSize: 3);
        for (int t = 0; t < lists.Count; t++)
        {
            var (alone, report) = PairFeatures.Extract(model, tokenizer, lists[t], layers, maxTokens: 256, batchSize: 2);
            Assert.Equal(report.PairsKept, joint[t].Report.PairsKept);
            Assert.Equal(report.Functions, joint[t].Report.Functions);
            foreach (var l in layers)
            {
                Assert.Equal(alone[l].Ids, joint[t].ByLayer[l].Ids);
                Assert.Equal(alone[l].Labels, joint[t].ByLayer[l].Labels);
                // batches differ (other functions, other padding): equal up to the padding-invariance tolerance
                var diff = alone[l].X.Zip(joint[t].ByLayer[l].X, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
                Assert.True(diff < 1e-4, $"task {t} layer {l}: max |Δ| {diff}");
            }
        }
        model.Dispose();
    }
}
