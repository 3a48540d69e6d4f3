// Parsing tests: known trees for small snippets, spans in bytes and characters, error recovery, other languages.
using SharpLens.Code;

namespace SharpLens.Tests.Code;

public sealed class SyntaxTreeTests
{
    [Fact]
    public void Python_call_has_the_expected_tree_and_spans()
    {
        var tree = SyntaxTree.Parse("print(x)\n", Language.Python);

        Assert.Equal("(module (expression_statement (call function: (identifier) arguments: (argument_list (identifier)))))", tree.Root.ToSExpression());
        Assert.Equal(["print", "(", "x", ")"], tree.Leaves.Select(l => l.Text));
        var paren = tree.Leaves[1];
        Assert.Equal("(", paren.Type);
        Assert.False(paren.IsNamed);
        Assert.Equal((5, 6), (paren.Start, paren.End));
        Assert.Equal("argument_list", paren.Parent!.Type);
        Assert.Equal(4, paren.Depth);                       // module 0, expression_statement 1, call 2, argument_list 3
        Assert.Equal("function", tree.Leaves[0].FieldName);
        Assert.Equal(0, tree.ErrorCount);
    }

    [Fact]
    public void Character_and_byte_spans_differ_after_non_ascii_text()
    {
        // "é" is 1 char / 2 UTF-8 bytes, "😀" is 2 UTF-16 chars / 4 bytes: before "t" there are 10 chars and 13 bytes
        var source = "s = \"é😀\"\nt = s\n";
        var tree = SyntaxTree.Parse(source, Language.Python);
        var t = tree.Leaves.Single(l => l.Text == "t");

        Assert.Equal(10, t.Start);
        Assert.Equal(13, t.StartByte);
        Assert.Equal("t", source.Substring(t.Start, t.Length));
    }

    [Fact]
    public void Unparsable_source_gives_error_nodes_not_an_exception()
    {
        var tree = SyntaxTree.Parse("def f(:\n  return )))\n", Language.Python);

        Assert.True(tree.HasErrors);
        Assert.True(tree.ErrorCount + tree.MissingCount > 0);
        Assert.True(tree.Root.HasError);
        Assert.Contains(tree.Nodes, n => n.IsError && n.Type == "ERROR");
    }

    [Fact]
    public void Unclosed_call_gets_a_missing_paren_or_error()
    {
        var tree = SyntaxTree.Parse("print(str(486", Language.Python);
        Assert.True(tree.HasErrors);
    }

    [Theory]
    [InlineData("java", "class A { void f() { g(h(1)); } }", "program")]
    [InlineData("javascript", "function f() { return g(h(1)); }", "program")]
    [InlineData("typescript", "function f(x: number): number { return g(h(x)); }", "program")]
    [InlineData("tsx", "const a = <div>{g(1)}</div>;", "program")]
    [InlineData("csharp", "class A { void F() { G(H(1)); } }", "compilation_unit")]
    [InlineData("go", "package main\nfunc f() { g(h(1)) }\n", "source_file")]
    public void Other_languages_parse_without_errors(string lang, string source, string root)
    {
        var tree = SyntaxTree.Parse(source, Language.FromName(lang));

        Assert.Equal(root, tree.Root.Type);
        Assert.False(tree.HasErrors, tree.Root.ToSExpression());
        Assert.Equal(source.Count(c => c == '('), tree.Leaves.Count(l => l.Type == "("));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment")]
    [InlineData("x = '\ud800'\r\ny = 1\r\n")]   // a lone surrogate is encoded as U+FFFD (3 bytes); CRLF line ends
    public void Edge_case_sources_parse_and_spans_stay_inside_the_text(string source)
    {
        var tree = SyntaxTree.Parse(source, Language.Python);

        Assert.Equal("module", tree.Root.Type);
        foreach (var n in tree.Nodes)
        {
            Assert.InRange(n.Start, 0, source.Length);
            Assert.InRange(n.End, n.Start, source.Length);
        }
        if (source.Contains("y = 1")) Assert.Equal("y", tree.Leaves.Single(l => l.Text == "y").Text);
    }

    [Fact]
    public void Languages_resolve_from_extensions()
    {
        Assert.Same(Language.Python, Language.FromExtension(".py"));
        Assert.Same(Language.Go, Language.FromExtension("GO"));
        Assert.Same(Language.CSharp, Language.FromName("c#"));
        var e = Assert.Throws<ArgumentException>(() => Language.FromExtension(".rb"));
        Assert.Contains(".py", e.Message);
    }
}
