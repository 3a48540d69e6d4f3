// Alignment of model tokens (character offsets) to leaves/code tokens, including straddling and whitespace tokens.
using SharpLens.Code;

namespace SharpLens.Tests.Code;

public sealed class TokenAlignmentTests
{
    // "foo(bar))" is not valid Python on its own, so use a valid line: "x = get_name(a))" would error; use:
    //   source: "y = get_name(ab)\n"   leaves: y[0,1) =[2,3) get_name[4,12) ([12,13) ab[13,15) )[15,16)
    const string Source = "y = get_name(ab)\n";

    [Fact]
    public void Tokens_straddling_leaves_and_leaves_split_over_tokens()
    {
        var tree = SyntaxTree.Parse(Source, Language.Python);
        // tokens: "y"[0,1) " ="[1,3) " get"[3,7) "_name("[7,13) "a"[13,14) "b)"[14,16) "\n"[16,17) BOS-like (0,0)
        int[] starts = [0, 1, 3, 7, 13, 14, 16, 0];
        int[] ends = [1, 3, 7, 13, 14, 16, 17, 0];
        var al = TokenAlignment.ToLeaves(tree, starts, ends);

        Assert.Equal(["y", "=", "get_name", "(", "ab", ")"], tree.Leaves.Select(l => l.Text));
        Assert.Equal([0], al.LeavesOfToken(0));
        Assert.Equal([1], al.LeavesOfToken(1));          // leading space belongs to no leaf
        Assert.Equal([2], al.LeavesOfToken(2));
        Assert.Equal([2, 3], al.LeavesOfToken(3));       // "_name(" straddles get_name and "("
        Assert.Equal([4, 5], al.LeavesOfToken(5));       // "b)" straddles ab and ")"
        Assert.Empty(al.LeavesOfToken(6));               // whitespace-only token
        Assert.Empty(al.LeavesOfToken(7));               // empty span (special token)
        Assert.Equal([2, 3], al.TokensOfLeaf(2));        // get_name split over " get" + "_name("
        Assert.Equal([4, 5], al.TokensOfLeaf(4));        // ab split over "a" + "b)"
    }

    [Fact]
    public void Tokens_map_to_nodes_and_nodes_to_tokens()
    {
        var tree = SyntaxTree.Parse(Source, Language.Python);
        int[] starts = [0, 1, 3, 7, 13, 14, 16], ends = [1, 3, 7, 13, 14, 16, 17];
        var al = TokenAlignment.ToLeaves(tree, starts, ends);
        var call = tree.Nodes.Single(n => n.Type == "call");                      // get_name(ab) = [4, 16)

        Assert.Equal([2, 3, 4, 5], al.TokensOfNode(call));                         // " get" "_name(" "a" "b)"
        Assert.Equal("call", tree.SmallestNodeCovering(7, 13).Type);              // "_name(" spans identifier and "("
        Assert.Equal("identifier", tree.SmallestNodeCovering(13, 14).Type);       // "a" inside "ab"
        Assert.Equal("module", tree.SmallestNodeCovering(16, 17).Type);           // the newline
    }

    [Fact]
    public void Mean_pooling_averages_each_leaf_tokens_and_marks_leaves_without_tokens()
    {
        var tree = SyntaxTree.Parse(Source, Language.Python);
        var al = TokenAlignment.ToLeaves(tree, [0, 4, 8], [1, 8, 12]);   // "y", "get_", "name": "=", "(", "ab", ")" have none
        float[][] vectors = [[1, 2], [3, 5], [5, 9]];

        var pooled = al.MeanPool(vectors);
        Assert.Equal([1f, 2f], pooled[0]);
        Assert.Equal([4f, 7f], pooled[2]);                // mean of tokens 1 and 2
        Assert.True(float.IsNaN(pooled[1][0]));

        var matrix = al.MeanPool(new float[,] { { 1, 2 }, { 3, 5 }, { 5, 9 } });
        Assert.Equal(4f, matrix[2, 0]);
        Assert.Equal(7f, matrix[2, 1]);
        Assert.True(float.IsNaN(matrix[3, 1]));
    }

    [Fact]
    public void Code_token_alignment_keeps_strings_whole_and_ids_must_match_offsets()
    {
        var source = "s = \"ab cd\"\n";
        var tree = SyntaxTree.Parse(source, Language.Python);
        var al = TokenAlignment.Build(CodeTokens.Of(tree), [10, 11, 12, 13], [(0, 1), (1, 3), (3, 8), (8, 11)]);

        Assert.Equal(3, al.LeafCount);                    // s, =, "ab cd"
        Assert.Equal([2, 3], al.TokensOfLeaf(2));         // ' "ab' and ' cd"' both fall in the one string token
        Assert.Throws<ArgumentException>(() => TokenAlignment.Build(CodeTokens.Of(tree), [1, 2], [(0, 1)]));
    }

    [Fact]
    public void Bad_offsets_are_rejected_with_what_was_found()
    {
        var tree = SyntaxTree.Parse(Source, Language.Python);
        var e = Assert.Throws<ArgumentException>(() => TokenAlignment.ToLeaves(tree, [3], [1]));
        Assert.Contains("(3, 1)", e.Message);
    }
}
