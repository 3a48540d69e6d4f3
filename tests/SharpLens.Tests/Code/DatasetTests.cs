// Dataset generators: exact template shape, labels, splits, determinism, mining and probe pairs on small inputs.
using System.Text;
using System.Text.RegularExpressions;
using SharpLens.Code;
using SharpLens.Code.Datasets;

namespace SharpLens.Tests.Code;

public sealed class DatasetTests
{
    static string Jsonl(IEnumerable<ParensExample> examples)
    {
        using var ms = new MemoryStream();
        SharpLens.Code.Datasets.Jsonl.Write(ms, examples, ParensExample.WriteJson);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public void Template_prompts_have_the_exact_shape_and_labels()
    {
        var examples = ParensDataset.Generate([1, 2, 3, 4], new SplitSizes(35, 15, 15), seed: 0);

        Assert.Equal(4 * 65, examples.Count);
        foreach (var e in examples)
        {
            // prompt = "#print the string {n}\nprint(" + "str("·k + "{n}", k = depth − 1; full text = prompt + label
            Assert.Equal($"#print the string {e.N}\nprint(" + string.Concat(Enumerable.Repeat("str(", e.Depth - 1)) + e.N, e.Prompt);
            Assert.InRange(e.N!.Value, 100, 999);
            Assert.Equal(e.Depth - 1, e.K);
            Assert.Equal(new string(')', e.Depth), e.LabelText);
            Assert.Equal(e.LabelText + ")", e.CounterfactualText);
            Assert.Equal(ParensDataset.FullText(e.N.Value, e.K!.Value), e.Prompt + e.LabelText);
            // the counterfactual prompt has one more "(" and needs exactly the counterfactual text
            Assert.Equal(e.Prompt.Count(c => c == '(') + 1, e.CounterfactualPrompt!.Count(c => c == '('));
            var full = SyntaxTree.Parse(e.CounterfactualPrompt + e.CounterfactualText, Language.Python);
            Assert.False(full.HasErrors);
        }
        var d3 = examples.First(e => e.Depth == 3);
        Assert.Matches(new Regex(@"^#print the string (\d{3})\nprint\(str\(str\(\1$"), d3.Prompt);
        Assert.Equal(")))", d3.LabelText);
    }

    [Fact]
    public void Open_parens_recorded_match_the_syntax_tree()
    {
        foreach (var e in ParensDataset.Generate([1, 4], new SplitSizes(3, 1, 1), seed: 5, closedVariant: true))
        {
            var full = e.Prompt + e.LabelText;
            var profile = BracketProfile.Compute(SyntaxTree.Parse(full, Language.Python));
            Assert.Equal(e.OpenParens, profile.OpenParensAt(e.Prompt.Length));
            Assert.Equal(e.Depth, e.OpenParens);
        }
    }

    [Fact]
    public void Closed_variant_keeps_part_of_the_run_in_the_prompt()
    {
        var examples = ParensDataset.Generate([2], new SplitSizes(50, 0, 0), seed: 1, closedVariant: true, maxClosed: 2);
        foreach (var e in examples)
        {
            Assert.InRange(e.Closed!.Value, 1, 2);
            Assert.Equal(e.K + 1, e.Total);
            Assert.Equal(e.Total - e.Closed, e.Depth);
            Assert.EndsWith(e.N + new string(')', e.Closed.Value), e.Prompt);
            Assert.Equal("))", e.LabelText);
        }
        // print(str(str(486) → "))": k = 2, closed 1
        Assert.Contains(examples, e => e.K == 2 && e.Closed == 1 && e.Prompt.EndsWith($"print(str(str({e.N})", StringComparison.Ordinal));
    }

    [Fact]
    public void Splits_are_sized_disjoint_and_byte_identical_under_a_seed()
    {
        var a = ParensDataset.Generate([1, 2, 3, 4], new SplitSizes(350, 150, 150), seed: 7);
        var b = ParensDataset.Generate([1, 2, 3, 4], new SplitSizes(350, 150, 150), seed: 7);
        var c = ParensDataset.Generate([1, 2, 3, 4], new SplitSizes(350, 150, 150), seed: 8);

        Assert.Equal(Jsonl(a), Jsonl(b));
        Assert.NotEqual(Jsonl(a), Jsonl(c));
        foreach (var depth in new[] { 1, 2, 3, 4 })
        {
            var d = a.Where(e => e.Depth == depth).ToList();
            Assert.Equal(350, d.Count(e => e.Split == "train"));
            Assert.Equal(150, d.Count(e => e.Split == "dev"));
            Assert.Equal(150, d.Count(e => e.Split == "test"));
            Assert.Equal(650, d.Select(e => e.Prompt).Distinct().Count());   // no prompt shared between splits
        }
        // a depth's draws do not depend on which other depths were requested
        Assert.Equal(Jsonl(a.Where(e => e.Depth == 3)), Jsonl(ParensDataset.Generate([3], new SplitSizes(350, 150, 150), seed: 7)));
    }

    [Fact]
    public void Jsonl_records_carry_provenance_and_field_names()
    {
        var line = Jsonl(ParensDataset.Generate([2], new SplitSizes(1, 0, 0), seed: 3)).TrimEnd('\n');
        using var doc = System.Text.Json.JsonDocument.Parse(line);
        var r = doc.RootElement;
        Assert.Equal("))", r.GetProperty("label_text").GetString());
        Assert.Equal(")))", r.GetProperty("counterfactual_text").GetString());
        Assert.Equal(3, r.GetProperty("seed").GetInt64());
        Assert.Equal(ParensDataset.Generator, r.GetProperty("generator").GetString());
        Assert.Equal("template", r.GetProperty("source").GetString());
        Assert.Equal("train", r.GetProperty("split").GetString());
        Assert.Equal(2, r.GetProperty("depth").GetInt32());
    }

    [Fact]
    public void Bad_arguments_say_what_was_expected()
    {
        Assert.Equal([1, 2, 3, 4], ParensDataset.ParseDepths("1-4"));
        Assert.Contains("1-4", Assert.Throws<FormatException>(() => ParensDataset.ParseDepths("4-1")).Message);
        Assert.Contains("350/150/150", Assert.Throws<FormatException>(() => SplitSizes.Parse("350/150")).Message);
        Assert.Contains("at most 900", Assert.Throws<ArgumentException>(() => ParensDataset.Generate([1], new SplitSizes(900, 1, 0), 0)).Message);
    }
}
