// Structural relations between two nodes of one tree: lowest common ancestor, AST distance, the sibling motif.
namespace SharpLens.Code;

/// <summary>Pairwise syntax relations used by the SSM-Interpret probing tasks.</summary>
public static class AstRelations
{
    /// <summary>The deepest node that is an ancestor of (or equal to) both nodes.</summary>
    public static SyntaxNode LowestCommonAncestor(SyntaxNode u, SyntaxNode v)
    {
        ArgumentNullException.ThrowIfNull(u);
        ArgumentNullException.ThrowIfNull(v);
        if (!ReferenceEquals(u.Tree, v.Tree)) throw new ArgumentException("expected two nodes of the same tree, found nodes of different trees");
        while (u.Depth > v.Depth) u = u.Parent!;
        while (v.Depth > u.Depth) v = v.Parent!;
        while (!ReferenceEquals(u, v)) { u = u.Parent!; v = v.Parent!; }
        return u;
    }

    /// <summary>Tree distance in edges: depth(u) + depth(v) − 2·depth(LCA(u, v)).</summary>
    public static int Distance(SyntaxNode u, SyntaxNode v) => u.Depth + v.Depth - 2 * LowestCommonAncestor(u, v).Depth;

    /// <summary>
    /// The sibling motif (SSM-Interpret): true when <paramref name="b"/> ≠ <paramref name="a"/> and either
    /// (1) b has the same parent P as a, or (2) b's parent is another child of P — a sibling subtree of a — whose type is
    /// not "block", i.e. b is P's grandchild reached through a non-block sibling. Not symmetric: the rule is anchored at
    /// a's parent. Intended for code tokens (<see cref="CodeTokens"/>); an atomic string counts as a token at its own node.
    /// </summary>
    public static bool IsSibling(SyntaxNode a, SyntaxNode b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (ReferenceEquals(a, b) || a.Parent == null || b.Parent == null) return false;
        var p = a.Parent;
        if (ReferenceEquals(b.Parent, p)) return true;
        var via = b.Parent;
        return ReferenceEquals(via.Parent, p) && !ReferenceEquals(via, a) && via.Type != "block";
    }
}
