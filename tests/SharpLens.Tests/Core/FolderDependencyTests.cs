// The layering of src/SharpLens: no dependency cycles between folders, and Analysis neither loads models nor writes files.
using SharpLens.Tests.Support;
using Xunit.Abstractions;

namespace SharpLens.Tests.Core;

public sealed class FolderDependencyTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]    // Analysis/* and Architectures/* as separate nodes
    [InlineData(false)]   // top-level folders only
    public void Folders_have_no_dependency_cycles(bool split)
    {
        var graph = FolderGraph.Of(typeof(HookedModel), split);
        foreach (var line in graph.Lines()) output.WriteLine(line);
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, "dependency cycles between folders:\n" +
            string.Join("\n", cycles.Select(c => string.Join(" ↔ ", c) + "\n" + graph.Explain(c))));
    }

    [Fact]
    public void The_graph_sees_known_edges()
    {
        // guards the reader itself: a graph with no edges would pass the cycle test vacuously
        var graph = FolderGraph.Of(typeof(HookedModel));
        Assert.Contains("Hooks", graph.Edges["(root)"].Keys);                    // HookedModel → HookRegistry
        Assert.Contains("Loading", graph.Edges["Architectures/Llama"].Keys);     // LlamaFamily : IModelFamily
        Assert.Contains("Analysis", graph.Edges["Analysis/Parens"].Keys);        // the study → LogitLens
        Assert.Contains("(root)", graph.Edges["Architectures/Mamba"].Keys);      // MambaForCausalLM : HookedModel
    }

    [Fact]
    public void The_loader_finds_every_family_without_naming_one()
    {
        Assert.Equal(["BiGS", "gpt2", "gpt_bigcode", "llama", "mamba", "roberta", "roformer"], SharpLens.Loading.ModelLoader.SupportedModelTypes);
        Assert.DoesNotContain(FolderGraph.Of(typeof(HookedModel)).Edges["Loading"].Keys, k => k.StartsWith("Architectures", StringComparison.Ordinal));
    }

    [Fact]
    public void Analysis_neither_loads_models_nor_writes_files()
    {
        var graph = FolderGraph.Of(typeof(HookedModel));
        string[] forbidden =
        [
            "SharpLens.Loading.ModelLoader.", "SharpLens.Tokenization.Tokenizer.Load", "SharpLens.Tokenization.TokenizerLoader.",
            "System.IO.File.Write", "System.IO.File.Create", "System.IO.File.Move", "System.IO.File.Delete", "System.IO.File.AppendAll",
            "System.IO.Directory.CreateDirectory", "System.IO.Directory.Delete", "SharpLens.Training.AtomicFile.",
        ];
        var bad = graph.Calls.Where(c => c.Key.StartsWith("Analysis", StringComparison.Ordinal))
            .SelectMany(c => c.Value.Where(m => forbidden.Any(f => m.StartsWith(f, StringComparison.Ordinal))).Select(m => $"{c.Key}: {m}")).ToList();
        Assert.True(bad.Count == 0, "Analysis loads models or writes files (the CLI loads, Reports/ writes):\n" + string.Join("\n", bad));
    }
}
