// Hand-checked AST distances, sibling labels, Python data-flow edges and bracket profiles on small snippets.
using SharpLens.Code;

namespace SharpLens.Tests.Code;

public sealed class RelationsTests
{
    // def f(a, b=1):\n    x = a + b\n    if x:\n        return x\n    return f(x)\n
    // Tree (depth in brackets):
    //   module[0] > function_definition[1] > def[2] f[2] parameters[2] :[2] block[2]
    //   parameters > ( a , default_parameter[3] > b[4] =[4] 1[4] )        (all [3] except inside default_parameter)
    //   block > expression_statement[3] > assignment[4] > x[5] =[5] binary_operator[5] > a[6] +[6] b[6]
    //   block > if_statement[3] > if[4] x[4] :[4] block[4] > return_statement[5] > return[6] x[6]
    //   block > return_statement[3] > return[4] call[4] > f[5] argument_list[5] > ( x )  [6]
    // Code tokens: 0:def 1:f 2:( 3:a 4:, 5:b 6:= 7:1 8:) 9:: 10:x 11:= 12:a 13:+ 14:b 15:if 16:x 17:: 18:return 19:x
    //              20:return 21:f 22:( 23:x 24:)
    const string Function = "def f(a, b=1):\n    x = a + b\n    if x:\n        return x\n    return f(x)\n";

    static (SyntaxTree Tree, IReadOnlyList<SyntaxNode> Tokens) Parse(string source)
    {
        var tree = SyntaxTree.Parse(source, Language.Python);
        Assert.False(tree.HasErrors);
        return (tree, CodeTokens.Of(tree));
    }

    [Theory]
    [InlineData(0, 1, 2)]    // def[2], f[2], LCA function_definition[1]: 2+2-2
    [InlineData(0, 3, 3)]    // def[2], a[3] in parameters, LCA function_definition[1]: 2+3-2
    [InlineData(10, 12, 3)]  // x[5], a[6]; LCA assignment[4]: 5+6-8
    [InlineData(12, 14, 2)]  // a[6], b[6]; LCA binary_operator[5]: 6+6-10
    [InlineData(15, 19, 4)]  // if[4], x[6] under block/return_statement; LCA if_statement[3]: 4+6-6
    [InlineData(0, 23, 6)]   // def[2], x[6] in f(x); LCA function_definition[1]: 2+6-2
    [InlineData(18, 20, 6)]  // return[6] in the if, return[4]; LCA block[2]: 6+4-4
    public void Ast_distance_matches_hand_computation(int a, int b, int expected)
    {
        var (_, t) = Parse(Function);
        Assert.Equal(expected, AstRelations.Distance(t[a], t[b]));
        Assert.Equal(expected, AstRelations.Distance(t[b], t[a]));
    }

    [Theory]
    [InlineData(0, 1, true)]     // def and f share function_definition
    [InlineData(0, 3, true)]     // a's parent "parameters" is a non-block child of function_definition
    [InlineData(0, 10, false)]   // x sits under block → expression_statement: through a block, and too deep
    [InlineData(3, 5, true)]     // b's parent default_parameter is a sibling subtree of a in parameters
    [InlineData(3, 7, true)]     // 1 likewise (grandchild of parameters via default_parameter)
    [InlineData(10, 12, true)]   // x (in assignment) → a under binary_operator, a child of assignment
    [InlineData(12, 10, false)]  // not symmetric: from a, the anchor is binary_operator; x is its uncle
    [InlineData(15, 16, true)]   // if / condition x: same parent if_statement
    [InlineData(15, 18, false)]  // return is under block → return_statement: the rule excludes the block path and depth
    [InlineData(20, 21, true)]   // return → f inside call, a child of return_statement
    [InlineData(0, 0, false)]    // a token is not its own sibling
    public void Sibling_motif_matches_hand_labels(int a, int b, bool expected)
    {
        var (_, t) = Parse(Function);
        Assert.Equal(expected, AstRelations.IsSibling(t[a], t[b]));
    }

    [Fact]
    public void Sibling_motif_excludes_grandchildren_through_a_block()
    {
        // Java keeps braces as direct children of block, so the exclusion is visible:
        // if_statement > if, parenthesized_expression > ( x ), block > { expression_statement }
        var tree = SyntaxTree.Parse("class A { void f() { if (x) { y(); } } }", Language.Java);
        var t = CodeTokens.Of(tree);
        var kw = t.Single(n => n.Text == "if");
        var x = t.Single(n => n.Text == "x");
        var brace = t.First(n => n.Text == "{" && n.Parent!.Parent!.Type == "if_statement");

        Assert.True(AstRelations.IsSibling(kw, x));        // grandchild through parenthesized_expression
        Assert.False(AstRelations.IsSibling(kw, brace));   // grandchild too, but through the block
        Assert.Equal(3, AstRelations.Distance(kw, brace)); // 1 up to if_statement + 2 down; same as kw → x
        Assert.Equal(3, AstRelations.Distance(kw, x));     // only the block rule separates the two
    }

    [Fact]
    public void Python_statements_in_a_block_are_not_siblings_of_the_header()
    {
        // if not y:\n    pass\n → if_statement > if, not_operator > (not, y), :, block > pass_statement > pass
        // code tokens 0:if 1:not 2:y 3:: 4:pass
        var (_, t) = Parse("if not y:\n    pass\n");
        Assert.Equal("pass_statement", t[4].Parent!.Type);

        Assert.True(AstRelations.IsSibling(t[0], t[2]));    // if → y: grandchild through not_operator
        Assert.True(AstRelations.IsSibling(t[0], t[3]));    // if → ":": same parent
        Assert.False(AstRelations.IsSibling(t[0], t[4]));   // if → pass: three levels down (block > pass_statement > pass)
    }

    [Fact]
    public void Python_data_flow_matches_hand_computed_edges()
    {
        var (tree, t) = Parse(Function);
        var g = PythonDataFlow.Compute(tree);

        // Walk (GraphCodeBERT DFG_python): f, a define themselves; default_parameter: b comesFrom 1; x = a + b:
        // a, b read their parameter definitions (comesFrom), x computedFrom a and b; every later x reads x@10; f(x) reads f@1.
        var expected = new[]
        {
            (5, 7, DataFlowKind.ComesFrom), (10, 12, DataFlowKind.ComputedFrom), (10, 14, DataFlowKind.ComputedFrom),
            (12, 3, DataFlowKind.ComesFrom), (14, 5, DataFlowKind.ComesFrom), (16, 10, DataFlowKind.ComesFrom),
            (19, 10, DataFlowKind.ComesFrom), (21, 1, DataFlowKind.ComesFrom), (23, 10, DataFlowKind.ComesFrom),
        };
        Assert.False(g.Failed);
        Assert.Equal(expected, g.Edges.Select(e => (e.Target, e.Source, e.Kind)));
        Assert.Equal(t.Count, g.Tokens.Count);
    }

    [Fact]
    public void Python_data_flow_walks_loops_twice()
    {
        // x = 0\nfor i in y:\n    x = x + i\nprint(x)\n
        // tokens 0:x 1:= 2:0 3:for 4:i 5:in 6:y 7:: 8:x 9:= 10:x 11:+ 12:i 13:print 14:( 15:x 16:)
        // pass 1: y defines itself; i computedFrom y; x@10 reads x@0; x@8 computedFrom x@10, i@12.
        // pass 2: y@6 now reads its own definition (GraphCodeBERT quirk), x@10 also reads x@8 (loop-carried).
        // print(x): x@15 reads x@8 (the for body ran, so the state after the loop is the body's).
        var (tree, _) = Parse("x = 0\nfor i in y:\n    x = x + i\nprint(x)\n");
        var edges = PythonDataFlow.Compute(tree).Edges.Select(e => (e.Target, e.Source, e.Kind)).ToList();

        Assert.Equal(new[]
        {
            (0, 2, DataFlowKind.ComputedFrom), (4, 6, DataFlowKind.ComputedFrom), (6, 6, DataFlowKind.ComesFrom),
            (8, 10, DataFlowKind.ComputedFrom), (8, 12, DataFlowKind.ComputedFrom), (10, 0, DataFlowKind.ComesFrom),
            (10, 8, DataFlowKind.ComesFrom), (12, 4, DataFlowKind.ComesFrom), (15, 8, DataFlowKind.ComesFrom),
        }, edges);
    }

    [Fact]
    public void Data_flow_if_else_merges_reaching_definitions()
    {
        // 0:if 1:c 2:: 3:x 4:= 5:1 6:else 7:: 8:x 9:= 10:2 11:y 12:= 13:x
        // both branches define x, so y = x reads both x@3 and x@8
        var (tree, _) = Parse("if c:\n    x = 1\nelse:\n    x = 2\ny = x\n");
        var edges = PythonDataFlow.Compute(tree).Edges;
        Assert.Contains(new DataFlowEdge(13, 3, DataFlowKind.ComesFrom), edges);
        Assert.Contains(new DataFlowEdge(13, 8, DataFlowKind.ComesFrom), edges);
        Assert.Contains(new DataFlowEdge(11, 13, DataFlowKind.ComputedFrom), edges);
    }

    [Fact]
    public void Strings_are_one_code_token_and_comments_are_dropped()
    {
        var (tree, t) = Parse("s = \"(\" + f(a)  # (\n");
        Assert.Equal(["s", "=", "\"(\"", "+", "f", "(", "a", ")"], t.Select(n => n.Text));
        Assert.Equal(11, tree.Leaves.Count);   // s = " ( " + f ( a ) # (: string_start/content/end and the comment are leaves
    }

    [Fact]
    public void Open_parens_ignore_parens_in_strings_and_comments()
    {
        var source = "s = \"(\" + f(a  # (\n";
        var tree = SyntaxTree.Parse(source, Language.Python);
        var profile = BracketProfile.Compute(tree);

        Assert.Equal(0, profile.OpenParensAt(source.IndexOf('f')));
        Assert.Equal(1, profile.OpenParensAt(source.IndexOf('a')));      // after "f(", the "(" in the string does not count
        Assert.Equal(1, profile.OpenParensAt(source.Length));             // nor the one in the comment
    }

    [Fact]
    public void Open_parens_on_the_study_template()
    {
        var source = "#print the string 486\nprint(str(str(486)))";
        var tree = SyntaxTree.Parse(source, Language.Python);
        var profile = BracketProfile.Compute(tree);
        int digits = source.LastIndexOf("486", StringComparison.Ordinal) + 3;

        Assert.False(tree.HasErrors);
        Assert.Equal(3, profile.OpenParensAt(digits));
        Assert.Equal(2, profile.OpenParensAt(digits + 1));
        Assert.Equal(0, profile.OpenParensAt(source.Length));
        var (depth, open) = profile.AfterTokens([5, digits, source.Length]);
        Assert.Equal([0, 3, 0], open);
        Assert.Equal([0, 3, 0], depth);
    }

    [Theory]
    // java: before "h[1]" the brackets are "{" (class), "()" (closed), "{" (method), "g(" → 1 open paren, depth 3
    [InlineData("java", "class A { int f() { return g(h[1], (2)); } }", "h[1]", 1, 3)]
    // javascript: the parens inside the string literal do not count; "f(" "g(" → 2 open, depth 2
    [InlineData("javascript", "const s = \"((\"; f(g(x), `${y}`);", "x", 2, 2)]
    // go: "f()" closed, "{", "g(", "h(" → 2 open parens, depth 3
    [InlineData("go", "package main\nfunc f() { g(h(1)) }\n", "1)", 2, 3)]
    public void Open_parens_work_in_other_languages(string lang, string source, string at, int parens, int depth)
    {
        var tree = SyntaxTree.Parse(source, Language.FromName(lang));
        var profile = BracketProfile.Compute(tree);
        int i = source.IndexOf(at, StringComparison.Ordinal);

        Assert.False(tree.HasErrors, tree.Root.ToSExpression());
        Assert.Equal(parens, profile.OpenParensAt(i));
        Assert.Equal(depth, profile.NestingDepthAt(i));
        Assert.Equal(0, profile.OpenParensAt(source.Length));
    }
}
