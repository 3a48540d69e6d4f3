// Fine-tuning: labels come from the syntax tree; both tasks run on tiny encoders and save HF folders.
using SharpLens.Code;
using SharpLens.Loading;
using SharpLens.Training;

namespace SharpLens.Tests.Training;

public class FineTuneTests
{
    [Fact]
    public void Assignment_kinds_come_from_the_right_hand_side_node()
    {
        var src = "a = 1\nb = 2.5\nc = 'x'\nd = True\ne = None\nf = [1]\ng = {}\nh = 1, 2\ni = {1}\nj = f(1)\nk = a + b\nl.m = 3\n";
        var tree = SyntaxTree.Parse(src, Language.Python);
        var kinds = tree.Nodes.Where(n => n.Type == "assignment" && n.ChildByField("left")!.Type == "identifier")
            .Select(n => FineTuneData.KindOf(n.ChildByField("right")!)).ToList();
        Assert.Equal(["int", "float", "str", "bool", "None", "list", "dict", "tuple", "set", "call", "other"], kinds);
    }

    [Theory]
    [InlineData("roberta-rope")]
    [InlineData("bigs")]
    public void Both_tasks_run_and_save(string arch)
    {
        using var run = new TinyRun(files: 10);
        var pre = run.Out("pre");
        Trainer.Run(TinyRun.Options(2) with { Arch = arch, Objective = Objective.Mlm, DState = 8, SeqLen = 64 }, run.Tokenizer, run.Cache, pre, false);
        var tk = FineTuner.Run(pre, run.Corpus, run.Tokenizer, run.Out("tk"), new FineTuneOptions { Task = FineTuneTask.TypeKind, Steps = 3, Batch = 4, SeqLen = 64, Threads = 1 });
        Assert.True(tk.TrainExamples > 0 && tk.TestExamples > 0);
        // accuracy is a count over the scored tokens: correct = accuracy × tokens is a whole number of them
        Assert.True(tk.TestTokens > 0, $"{tk.TestTokens} tokens scored");
        double correct = tk.Accuracy!.Value * tk.TestTokens!.Value;
        Assert.True(Math.Abs(correct - Math.Round(correct)) < 1e-6 && correct >= -1e-9 && correct <= tk.TestTokens + 1e-6, $"accuracy {tk.Accuracy} of {tk.TestTokens} tokens");
        var dr = FineTuner.Run(pre, run.Corpus, run.Tokenizer, run.Out("dr"), new FineTuneOptions { Task = FineTuneTask.DocRetrieval, Steps = 3, Batch = 4, SeqLen = 64, Threads = 1 });
        Assert.InRange(dr.Mrr!.Value, 1.0 / dr.Pool!.Value, 1);                               // every rank lies in 1..pool
        using var file = SafeTensorsFile.Open(Path.Combine(run.Out("tk"), "model.safetensors"));
        Assert.Contains("classifier.weight", file.Keys);
        Assert.DoesNotContain(file.Keys, k => k.StartsWith("cls."));
        if (arch == "bigs")
        {
            using var reloaded = ModelLoader.Load(run.Out("tk"));                   // BiGSForTokenClassification
            Assert.Equal(11, ((IEncoderHeads)reloaded).ClassifyTokens(TorchSharp.torch.tensor(new long[] { 5, 6, 7 }, [1, 3])).shape[2]);
        }
    }
}
