// A tree-sitter concrete syntax tree, parsed in one native call and materialised into managed SyntaxNode objects.
using System.Text;

namespace SharpLens.Code;

/// <summary>
/// A parsed source file. Parsing never throws on bad syntax: tree-sitter recovers with ERROR and MISSING nodes,
/// counted in <see cref="ErrorCount"/> and <see cref="MissingCount"/>.
/// </summary>
public sealed class SyntaxTree
{
    readonly List<SyntaxNode> nodes;
    readonly List<SyntaxNode> leaves = new();

    /// <summary>The parsed source text.</summary>
    public string Source { get; }
    /// <summary>The grammar used.</summary>
    public Language Language { get; }
    /// <summary>The root node (module / program / compilation_unit / source_file).</summary>
    public SyntaxNode Root => nodes[0];
    /// <summary>Every node in pre-order (parents before children, siblings in source order).</summary>
    public IReadOnlyList<SyntaxNode> Nodes => nodes;
    /// <summary>Nodes without children, in source order (includes zero-width MISSING leaves).</summary>
    public IReadOnlyList<SyntaxNode> Leaves => leaves;
    /// <summary>Number of ERROR nodes.</summary>
    public int ErrorCount { get; private set; }
    /// <summary>Number of MISSING nodes.</summary>
    public int MissingCount { get; private set; }
    /// <summary>True when the tree has any ERROR or MISSING node.</summary>
    public bool HasErrors => ErrorCount + MissingCount > 0;
    /// <summary>Length of the UTF-8 encoding of <see cref="Source"/>.</summary>
    public int Utf8Length { get; }

    SyntaxTree(string source, Language language, int utf8Length, List<SyntaxNode> nodes)
    {
        Source = source; Language = language; Utf8Length = utf8Length; this.nodes = nodes;
    }

    /// <summary>Parses <paramref name="source"/> with the grammar of <paramref name="language"/>.</summary>
    public static unsafe SyntaxTree Parse(string source, Language language)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(language);
        var bytes = Encoding.UTF8.GetBytes(source);
        var byteToChar = ByteToCharMap(source, bytes.Length);
        Native.FlatNode* flat;
        int count;
        fixed (byte* p = bytes)
            count = Native.Parse(language.NativeId, p, (uint)bytes.Length, out flat);
        if (count <= 0)
            throw new InvalidOperationException(count switch
            {
                -2 => $"tree-sitter rejected the {language.Name} grammar (ABI {Native.AbiVersion(language.NativeId)}); expected ABI 13..15 for runtime 0.25",
                -4 => $"out of memory flattening a {language.Name} tree of {bytes.Length} bytes",
                _ => $"tree-sitter failed to parse {bytes.Length} bytes of {language.Name} (code {count})",
            });
        try
        {
            var list = new List<SyntaxNode>(count);
            var tree = new SyntaxTree(source, language, bytes.Length, list);
            for (int i = 0; i < count; i++)
            {
                var f = flat[i];
                var parent = f.Parent >= 0 ? list[f.Parent] : null;
                var node = new SyntaxNode(tree, i, Native.Symbol(language, f.Symbol), Native.Field(language, f.Field), f.Flags,
                    (int)f.StartByte, (int)f.EndByte, byteToChar[f.StartByte], byteToChar[f.EndByte], parent);
                list.Add(node);
            }
            return tree.Index();
        }
        finally { Native.Free(flat); }
    }

    /// <summary>Benchmark aid: the native parse and flatten without building managed nodes; returns the node count.</summary>
    internal static unsafe int ParseNativeOnly(string source, Language language)
    {
        var bytes = Encoding.UTF8.GetBytes(source);
        Native.FlatNode* flat;
        int count;
        fixed (byte* p = bytes) count = Native.Parse(language.NativeId, p, (uint)bytes.Length, out flat);
        Native.Free(flat);
        return count;
    }

    SyntaxTree Index()
    {
        int errors = 0, missing = 0;
        foreach (var n in nodes)
        {
            if (n.IsError) errors++;
            if (n.IsMissing) missing++;
            if (n.IsLeaf) { n.LeafIndex = leaves.Count; leaves.Add(n); }
        }
        ErrorCount = errors;
        MissingCount = missing;
        return this;
    }

    /// <summary>Maps every UTF-8 byte offset (0..byteLength) to the UTF-16 index of the character it belongs to.</summary>
    /// <remarks>Mirrors Encoding.UTF8: a lone surrogate is encoded as U+FFFD (3 bytes).</remarks>
    internal static int[] ByteToCharMap(string s, int byteLength)
    {
        var map = new int[byteLength + 1];
        int b = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            int n;
            if (c < 0x80) n = 1;
            else if (c < 0x800) n = 2;
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) n = 4;
            else n = 3;
            for (int k = 0; k < n; k++) map[b + k] = i;
            b += n;
            if (n == 4) i++;
        }
        if (b != byteLength) throw new InvalidOperationException($"UTF-8 length mismatch: expected {byteLength} bytes, mapped {b}");
        map[byteLength] = s.Length;
        return map;
    }

    /// <summary>The deepest node whose span contains [<paramref name="start"/>, <paramref name="end"/>) (the root at worst).</summary>
    public SyntaxNode SmallestNodeCovering(int start, int end)
    {
        if (start < 0 || end < start || end > Source.Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"expected 0 ≤ start ≤ end ≤ {Source.Length}, found ({start}, {end})");
        var node = Root;
        while (true)
        {
            var next = node.Children.FirstOrDefault(c => c.Start <= start && end <= c.End && c.Length > 0);
            if (next == null) return node;
            node = next;
        }
    }

    /// <summary>The leaf covering character <paramref name="charIndex"/>, or null when it lies in whitespace/between leaves.</summary>
    public SyntaxNode? LeafAt(int charIndex)
    {
        int lo = 0, hi = leaves.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >> 1;
            var l = leaves[mid];
            if (l.End <= charIndex) lo = mid + 1;
            else if (l.Start > charIndex) hi = mid - 1;
            else return l.Length > 0 ? l : null;
        }
        return null;
    }
}
