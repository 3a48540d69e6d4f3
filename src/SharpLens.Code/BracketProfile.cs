// Bracket nesting depth and still-open "(" count at every position, from the tree's anonymous bracket leaves.
namespace SharpLens.Code;

/// <summary>
/// Bracket state computed from the syntax tree, not from the raw text, so brackets inside strings and comments do not
/// count. The value "at" character index i describes the prefix Source[0..i): brackets whose leaf ends at or before i.
/// Openers: "(", "[", "{", and the interpolation openers "${" / "#{"; closers: ")", "]", "}". MISSING (zero-width)
/// leaves are ignored. Values can go negative after an unmatched closer in a broken file; they are not clamped.
/// </summary>
public sealed class BracketProfile
{
    readonly int[] depthAt;   // length Source.Length + 1
    readonly int[] parensAt;  // length Source.Length + 1

    /// <summary>The tree the profile was computed from.</summary>
    public SyntaxTree Tree { get; }

    BracketProfile(SyntaxTree tree, int[] depthAt, int[] parensAt) { Tree = tree; this.depthAt = depthAt; this.parensAt = parensAt; }

    /// <summary>Computes the profile of <paramref name="tree"/> (any language).</summary>
    public static BracketProfile Compute(SyntaxTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        int n = tree.Source.Length;
        var dDelta = new int[n + 1];
        var pDelta = new int[n + 1];
        foreach (var leaf in tree.Leaves)
        {
            if (leaf.IsNamed || leaf.IsMissing || leaf.Length == 0) continue;
            int d = BracketDelta(leaf.Type);
            if (d == 0) continue;
            dDelta[leaf.End] += d;
            if (leaf.Type == "(") pDelta[leaf.End] += 1;
            else if (leaf.Type == ")") pDelta[leaf.End] -= 1;
        }
        for (int i = 1; i <= n; i++) { dDelta[i] += dDelta[i - 1]; pDelta[i] += pDelta[i - 1]; }
        return new BracketProfile(tree, dDelta, pDelta);
    }

    /// <summary>+1 for an opening bracket token type, −1 for a closing one, 0 otherwise.</summary>
    public static int BracketDelta(string type) => type switch
    {
        "(" or "[" or "{" or "${" or "#{" => 1,
        ")" or "]" or "}" => -1,
        _ => 0,
    };

    /// <summary>Brackets of any kind open in Source[0..<paramref name="charIndex"/>).</summary>
    public int NestingDepthAt(int charIndex) => depthAt[Check(charIndex)];

    /// <summary>"(" still open in Source[0..<paramref name="charIndex"/>) (opened minus closed).</summary>
    public int OpenParensAt(int charIndex) => parensAt[Check(charIndex)];

    /// <summary>Nesting depth at every character index 0..Source.Length (a copy).</summary>
    public int[] NestingDepthPerPosition() => (int[])depthAt.Clone();

    /// <summary>Open "(" count at every character index 0..Source.Length (a copy).</summary>
    public int[] OpenParensPerPosition() => (int[])parensAt.Clone();

    /// <summary>Per token: the state after the token, i.e. at its end offset — what a next-token predictor sees.</summary>
    public (int[] NestingDepth, int[] OpenParens) AfterTokens(ReadOnlySpan<int> tokenEnds)
    {
        var d = new int[tokenEnds.Length];
        var p = new int[tokenEnds.Length];
        for (int i = 0; i < tokenEnds.Length; i++) { d[i] = NestingDepthAt(tokenEnds[i]); p[i] = OpenParensAt(tokenEnds[i]); }
        return (d, p);
    }

    int Check(int i) => (uint)i <= (uint)(depthAt.Length - 1) ? i
        : throw new ArgumentOutOfRangeException(nameof(i), $"expected a character index in [0, {depthAt.Length - 1}], found {i}");
}
