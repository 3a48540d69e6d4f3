// Maps model tokens (character offsets from any tokenizer) to code tokens / tree leaves, and mean-pools token vectors per leaf.
namespace SharpLens.Code;

/// <summary>
/// Many-to-many alignment between model tokens and a sequence of non-overlapping syntax units ("leaves": usually
/// <see cref="SyntaxTree.Leaves"/> or <see cref="CodeTokens"/>). A token overlaps a leaf when their half-open character
/// spans intersect; a token can cover several leaves (e.g. "))" or "(x") and a leaf can be split over several tokens
/// (e.g. "get" + "_name"). Tokens that cover only whitespace/comments or are empty (BOS/EOS with span (0,0)) map to
/// no leaf; zero-width leaves (MISSING) get no token.
/// </summary>
public sealed class TokenAlignment
{
    readonly int[][] leavesOfToken;
    readonly int[][] tokensOfLeaf;
    readonly int[] starts, ends;

    /// <summary>The units tokens are aligned to, in source order.</summary>
    public IReadOnlyList<SyntaxNode> Leaves { get; }
    /// <summary>Number of model tokens.</summary>
    public int TokenCount => leavesOfToken.Length;
    /// <summary>Number of leaves.</summary>
    public int LeafCount => tokensOfLeaf.Length;

    TokenAlignment(IReadOnlyList<SyntaxNode> leaves, int[][] leavesOfToken, int[][] tokensOfLeaf, int[] starts, int[] ends)
    {
        Leaves = leaves; this.leavesOfToken = leavesOfToken; this.tokensOfLeaf = tokensOfLeaf; this.starts = starts; this.ends = ends;
    }

    /// <summary>Aligns tokens with character spans [starts[i], ends[i]) to the leaves of <paramref name="tree"/>.</summary>
    public static TokenAlignment ToLeaves(SyntaxTree tree, ReadOnlySpan<int> starts, ReadOnlySpan<int> ends) => Build(tree.Leaves, starts, ends);

    /// <summary>Aligns tokens to the code tokens of <paramref name="tree"/> (strings whole, comments dropped).</summary>
    public static TokenAlignment ToCodeTokens(SyntaxTree tree, ReadOnlySpan<int> starts, ReadOnlySpan<int> ends) => Build(CodeTokens.Of(tree), starts, ends);

    /// <summary>Aligns token ids with their (Start, End) character offsets; ids are only checked for a matching count.</summary>
    public static TokenAlignment Build(IReadOnlyList<SyntaxNode> leaves, IReadOnlyList<int> ids, IReadOnlyList<(int Start, int End)> offsets)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(offsets);
        if (ids.Count != offsets.Count) throw new ArgumentException($"expected one offset per token id, found {ids.Count} ids and {offsets.Count} offsets");
        return Build(leaves, offsets.Select(o => o.Start).ToArray(), offsets.Select(o => o.End).ToArray());
    }

    /// <summary>Aligns tokens with character spans [starts[i], ends[i]) to <paramref name="leaves"/> (sorted, non-overlapping).</summary>
    public static TokenAlignment Build(IReadOnlyList<SyntaxNode> leaves, ReadOnlySpan<int> starts, ReadOnlySpan<int> ends)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        if (starts.Length != ends.Length) throw new ArgumentException($"expected as many token starts as ends, found {starts.Length} and {ends.Length}");
        for (int i = 1; i < leaves.Count; i++)
            if (leaves[i].Start < leaves[i - 1].End)
                throw new ArgumentException($"expected non-overlapping leaves in source order, found {leaves[i - 1]} before {leaves[i]}");
        var perToken = new int[starts.Length][];
        var perLeaf = new List<int>[leaves.Count];
        var scratch = new List<int>();
        for (int t = 0; t < starts.Length; t++)
        {
            int s = starts[t], e = ends[t];
            if (s < 0 || e < s) throw new ArgumentException($"expected token {t} to have 0 ≤ start ≤ end, found ({s}, {e})");
            scratch.Clear();
            if (e > s)
            {
                // first leaf whose End > s (leaves are sorted and disjoint, so End is non-decreasing)
                int lo = 0, hi = leaves.Count;
                while (lo < hi) { int mid = (lo + hi) >> 1; if (leaves[mid].End <= s) lo = mid + 1; else hi = mid; }
                for (int l = lo; l < leaves.Count && leaves[l].Start < e; l++)
                {
                    if (leaves[l].Length == 0) continue;
                    scratch.Add(l);
                    (perLeaf[l] ??= new List<int>()).Add(t);
                }
            }
            perToken[t] = scratch.ToArray();
        }
        return new TokenAlignment(leaves, perToken, perLeaf.Select(l => l?.ToArray() ?? []).ToArray(), starts.ToArray(), ends.ToArray());
    }

    /// <summary>Indices of the leaves token <paramref name="token"/> overlaps (empty for whitespace-only/empty tokens).</summary>
    public IReadOnlyList<int> LeavesOfToken(int token) => leavesOfToken[token];

    /// <summary>Indices of the tokens overlapping leaf <paramref name="leaf"/>, in order.</summary>
    public IReadOnlyList<int> TokensOfLeaf(int leaf) => tokensOfLeaf[leaf];

    /// <summary>Tokens whose span intersects <paramref name="node"/>'s span (any node, not only leaves), in order.</summary>
    public IReadOnlyList<int> TokensOfNode(SyntaxNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var result = new List<int>();
        for (int t = 0; t < starts.Length; t++)
            if (ends[t] > starts[t] && starts[t] < node.End && node.Start < ends[t]) result.Add(t);
        return result;
    }

    /// <summary>
    /// Mean of the vectors of each leaf's tokens: result[leaf] has the vectors' width. Leaves with no token get a row
    /// of NaN so that a silent zero vector never enters a probe.
    /// </summary>
    public float[][] MeanPool(float[][] tokenVectors)
    {
        ArgumentNullException.ThrowIfNull(tokenVectors);
        if (tokenVectors.Length != TokenCount) throw new ArgumentException($"expected {TokenCount} token vectors, found {tokenVectors.Length}");
        int width = tokenVectors.Length == 0 ? 0 : tokenVectors[0].Length;
        var result = new float[LeafCount][];
        for (int l = 0; l < LeafCount; l++)
        {
            var row = new float[width];
            var toks = tokensOfLeaf[l];
            if (toks.Length == 0) { Array.Fill(row, float.NaN); result[l] = row; continue; }
            foreach (var t in toks)
            {
                var v = tokenVectors[t];
                if (v.Length != width) throw new ArgumentException($"expected token vectors of width {width}, found {v.Length} at token {t}");
                for (int j = 0; j < width; j++) row[j] += v[j];
            }
            for (int j = 0; j < width; j++) row[j] /= toks.Length;
            result[l] = row;
        }
        return result;
    }

    /// <summary>Mean-pooling on a [token, d] matrix; returns [leaf, d] with NaN rows for leaves without tokens.</summary>
    public float[,] MeanPool(float[,] tokenVectors)
    {
        ArgumentNullException.ThrowIfNull(tokenVectors);
        if (tokenVectors.GetLength(0) != TokenCount) throw new ArgumentException($"expected {TokenCount} token rows, found {tokenVectors.GetLength(0)}");
        int width = tokenVectors.GetLength(1);
        var result = new float[LeafCount, width];
        for (int l = 0; l < LeafCount; l++)
        {
            var toks = tokensOfLeaf[l];
            for (int j = 0; j < width; j++)
            {
                if (toks.Length == 0) { result[l, j] = float.NaN; continue; }
                float sum = 0;
                foreach (var t in toks) sum += tokenVectors[t, j];
                result[l, j] = sum / toks.Length;
            }
        }
        return result;
    }
}
