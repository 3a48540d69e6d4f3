// Pair vectors by hand: mean pooling of tokens that straddle code tokens, difference (distance) vs concatenation.
using SharpLens.Analysis.Probes;
using SharpLens.Code;

namespace SharpLens.Tests.Probes;

public sealed class PairVectorTests
{
    [Fact]
    public void Tokens_straddling_code_tokens_are_pooled_into_each_and_pairs_are_built_per_task()
    {
        // Given "x = ab": code tokens x[0,1) =[2,3) ab[4,6); model tokens "x ="[0,3) " a"[3,5) "b"[5,6)
        var tree = SyntaxTree.Parse("x = ab", Language.Python);
        var codeTokens = CodeTokens.Of(tree);
        Assert.Equal(["x", "=", "ab"], codeTokens.Select(t => t.Text));
        var align = TokenAlignment.Build(codeTokens, [0, 3, 5], [3, 5, 6]);
        float[] block = [1, 2, /* " a" */ 3, 4, /* "b" */ 5, 8];                  // [pos = 3, d = 2]

        // When pooling per code token
        var x = PairFeatures.Pool(block, 2, align.TokensOfLeaf(0))!;
        var eq = PairFeatures.Pool(block, 2, align.TokensOfLeaf(1))!;
        var ab = PairFeatures.Pool(block, 2, align.TokensOfLeaf(2))!;

        // Then "x =" counts for both x and =, ab is the mean of " a" and "b", and TokenAlignment.MeanPool agrees
        Assert.Equal([1f, 2f], x);
        Assert.Equal([1f, 2f], eq);
        Assert.Equal([4f, 6f], ab);
        Assert.Equal(align.MeanPool(new[] { new[] { 1f, 2f }, [3f, 4f], [5f, 8f] })[2], ab);
        Assert.Null(PairFeatures.Pool(block, 2, []));
        Assert.Equal([-3f, -4f], PairFeatures.PairVector("ast-distance", x, ab));
        Assert.Equal([1f, 2f, 4f, 6f], PairFeatures.PairVector("sibling", x, ab));
        Assert.Equal([4f, 6f, 1f, 2f], PairFeatures.PairVector("dataflow", ab, x));
        Assert.Throws<ArgumentException>(() => PairFeatures.PairVector("nonsense", x, ab));
    }
}
