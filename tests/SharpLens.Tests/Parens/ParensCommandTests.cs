// `sharplens parens` end to end on a tiny random Llama with the CodeLlama tokenizer; label checks; bad inputs leave no output.
using System.Text.Json;
using SharpLens.Analysis.Parens;
using SharpLens.Code.Datasets;
using SharpLens.Reports;
using SharpLens.Tests.Support;
using SharpLens.Tokenization;

namespace SharpLens.Tests.Parens;

public class ParensCommandTests
{
    // through the shared helper, which serialises in-process CLI runs (they swap Console.Error)
    static int Invoke(params string[] args) => Support.Cli.Run(["parens", .. args]).Code;

    [FixtureFact]
    public void CodeLlama_labels_are_the_single_paren_tokens_and_closed_prompts_keep_their_parens()
    {
        var tok = Tokenizer.Load(Fixtures.Tokenizer("codellama"));
        var plain = ParensPrompts.Prepare(tok, ParensDataset.Generate([1, 2, 3, 4], new SplitSizes(0, 0, 3), 0));
        var expected = new Dictionary<int, int> { [1] = 29897, [2] = 876, [3] = 4961, [4] = 13697 };
        foreach (var p in plain)
        {
            Assert.Equal(expected[p.Depth], p.LabelId);
            Assert.True(p.LabelSingleToken && p.PromptIsPrefix, p.Example.Id);
            Assert.Equal(TokenRole.Digits, p.Roles[^1]);
        }
        // ")))))" is not one token (CodeLlama splits it as "))" + ")))"): the depth-4 counterfactual falls back to one fewer ")"
        Assert.All(plain.Where(p => p.Depth == 4), p => Assert.Equal(4961, p.CounterfactualId));
        Assert.All(plain.Where(p => p.Depth < 4), p => Assert.Equal(expected[p.Depth + 1], p.CounterfactualId));

        var closed = ParensPrompts.Prepare(tok, ParensDataset.Generate([2], new SplitSizes(0, 0, 6), 0, closedVariant: true));
        foreach (var p in closed)
        {
            Assert.Equal(876, p.LabelId);                                                    // "))" after the prompt's own ")" tokens
            Assert.False(p.PromptIsPrefix);
            Assert.Equal(TokenRole.CloseParen, p.Roles[^1]);
            Assert.Equal(p.Closed, p.Texts.Where((_, i) => p.Roles[i] == TokenRole.CloseParen).Sum(t => t.Count(ch => ch == ')')));
        }
        Assert.Contains(ParensPrompts.Check(closed), c => c.Note.Contains("keeps its own tokens"));
    }

    [FixtureFact]
    public void The_command_writes_every_file_and_a_self_contained_html_whose_figures_all_have_data()
    {
        using var tmp = new TempDir();
        var modelDir = Path.Combine(tmp.Path, "model");
        var config = ParensTestModels.Config(vocab: 32016, d: 16, layers: 2, heads: 2, dHead: 8, mlp: 32);
        using (var m = ParensTestModels.Build(config, std: 0.2)) ParensTestModels.Write(m, config, modelDir);
        foreach (var f in Directory.GetFiles(Fixtures.Tokenizer("codellama"))) File.Copy(f, Path.Combine(modelDir, Path.GetFileName(f)));
        var outDir = Path.Combine(tmp.Path, "report");

        Assert.Equal(0, Invoke("--model", modelDir, "--out", outDir, "--n", "3", "--ablation-n", "1", "--batch", "8"));

        foreach (var f in ParensReport.Files) Assert.True(File.Exists(Path.Combine(outDir, f)), $"missing {f}");
        Assert.Equal(ParensReport.Files.Count, Directory.GetFiles(outDir).Length);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "results.json")));
        foreach (var key in new[] { "info", "label_checks", "accuracy", "logit_lens", "first_top1", "dla_summary", "dla_layers", "dla_heads", "attention_by_role", "counting_heads", "ablation", "viewer", "claims" })
            Assert.True(json.RootElement.TryGetProperty(key, out _), $"results.json lacks {key}");
        Assert.True(json.RootElement.GetProperty("dla_summary").EnumerateArray().All(s => s.GetProperty("max_abs_error").GetDouble() < 1e-4));
        Assert.StartsWith("variant,depth,n,correct,accuracy", File.ReadAllText(Path.Combine(outDir, "accuracy.csv")));
        Assert.True(File.ReadAllLines(Path.Combine(outDir, "ablation.csv")).Length > 1 + 2 * 2 * (2 + 2));

        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        HtmlAssert.SelfContained(html);
        HtmlAssert.FiguresHaveData(html, 12);
        Assert.Contains("id=\"viewer-data\"", html);
        Assert.Contains("Paper vs this model", html);
    }

    [FixtureFact]
    public void A_bad_model_or_dataset_fails_clearly_and_leaves_no_output_folder()
    {
        using var tmp = new TempDir();
        var outDir = Path.Combine(tmp.Path, "report");
        Assert.Equal(2, Invoke("--model", Path.Combine(tmp.Path, "no-such-model"), "--out", outDir));
        Assert.False(Directory.Exists(outDir));
        var modelDir = Path.Combine(tmp.Path, "model");
        var config = ParensTestModels.Config(vocab: 32016, d: 8, layers: 1, heads: 2, dHead: 4, mlp: 8);
        using (var m = ParensTestModels.Build(config)) ParensTestModels.Write(m, config, modelDir);
        Assert.Equal(2, Invoke("--model", modelDir, "--out", outDir, "--tokenizer", Fixtures.Tokenizer("codellama"), "--dataset", Path.Combine(tmp.Path, "missing.jsonl")));
        Assert.Equal(2, Invoke("--model", modelDir, "--out", outDir));                        // no tokenizer in the model folder
        Assert.Equal(2, Invoke("--model", modelDir, "--out", outDir, "--tokenizer", Fixtures.Tokenizer("codellama"), "--depths", "4-1"));
        Assert.False(Directory.Exists(outDir));
        Assert.DoesNotContain(Directory.GetDirectories(tmp.Path), d => Path.GetFileName(d).StartsWith(".report"));
    }
}
