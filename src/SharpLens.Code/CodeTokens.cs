// "Code tokens" as in GraphCodeBERT/CodeSearchNet: tree leaves, with string literals kept whole and comments dropped.
namespace SharpLens.Code;

/// <summary>
/// The code-token sequence the SSM-Interpret probes pool subwords into (GraphCodeBERT's <c>tree_to_token_index</c>
/// rule): a node is a code token when it has no children or its type is <c>string</c>, <c>string_literal</c> or
/// <c>character_literal</c>, and its type is not a comment; code tokens are not descended into. Zero-width (MISSING)
/// leaves are dropped. Unlike <see cref="SyntaxTree.Leaves"/>, a Python string is one code token, not three.
/// </summary>
public static class CodeTokens
{
    static readonly HashSet<string> atomic = ["string", "string_literal", "character_literal"];

    /// <summary>True when <paramref name="node"/> is an atomic string-like node that counts as one code token.</summary>
    public static bool IsAtomic(SyntaxNode node) => atomic.Contains(node.Type);

    /// <summary>True for comment node types of any grammar (comment, line_comment, block_comment).</summary>
    public static bool IsComment(SyntaxNode node) => node.Type.Contains("comment", StringComparison.Ordinal);

    /// <summary>The code tokens of <paramref name="tree"/> in source order.</summary>
    public static IReadOnlyList<SyntaxNode> Of(SyntaxTree tree) => Of(tree.Root);

    /// <summary>The code tokens under <paramref name="root"/> (itself included) in source order.</summary>
    public static IReadOnlyList<SyntaxNode> Of(SyntaxNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var result = new List<SyntaxNode>();
        var stack = new Stack<SyntaxNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (IsComment(n)) continue;
            if (n.IsLeaf || IsAtomic(n))
            {
                if (n.Length > 0) result.Add(n);
                continue;
            }
            for (int i = n.Children.Count - 1; i >= 0; i--) stack.Push(n.Children[i]);
        }
        return result;
    }

    /// <summary>
    /// True for a "keyword-type" code token: an anonymous node whose type is a word (letters and underscores), e.g.
    /// def, return, if, for, in, not, import. Named literals such as True/None are not keywords under this rule.
    /// </summary>
    public static bool IsKeyword(SyntaxNode node) => !node.IsNamed && node.Type.Length > 0 && node.Type.All(c => char.IsAsciiLetter(c) || c == '_');
}
