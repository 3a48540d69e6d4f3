// One node of a materialised tree-sitter concrete syntax tree: immutable, managed, no native handle behind it.
namespace SharpLens.Code;

/// <summary>
/// A node of a <see cref="SyntaxTree"/>. Spans are half-open: bytes index the UTF-8 encoding of the source, characters
/// are UTF-16 indices into <see cref="SyntaxTree.Source"/>. <see cref="Depth"/> is 0 for the root.
/// </summary>
public sealed class SyntaxNode
{
    static readonly List<SyntaxNode> none = new(0);
    List<SyntaxNode> children = none;   // leaves (about half the nodes) share one empty list

    internal SyntaxNode(SyntaxTree tree, int index, string type, string? fieldName, uint flags, int startByte, int endByte,
        int start, int end, SyntaxNode? parent)
    {
        Tree = tree; Index = index; Type = type; FieldName = fieldName; this.flags = flags;
        StartByte = startByte; EndByte = endByte; Start = start; End = end; Parent = parent;
        Depth = parent == null ? 0 : parent.Depth + 1;
        ChildIndex = parent == null ? 0 : parent.children.Count;
        parent?.AddChild(this);
    }

    readonly uint flags;

    void AddChild(SyntaxNode child)
    {
        if (ReferenceEquals(children, none)) children = new List<SyntaxNode>(2);
        children.Add(child);
    }

    /// <summary>The tree this node belongs to.</summary>
    public SyntaxTree Tree { get; }
    /// <summary>Position of this node in the tree's pre-order node list (<see cref="SyntaxTree.Nodes"/>).</summary>
    public int Index { get; }
    /// <summary>Grammar type, e.g. "call", "identifier", "(" (anonymous nodes are named by their text), "ERROR".</summary>
    public string Type { get; }
    /// <summary>The field through which the parent holds this node (e.g. "arguments"), or null.</summary>
    public string? FieldName { get; }
    /// <summary>True for named grammar rules, false for anonymous tokens such as "(" or "def".</summary>
    public bool IsNamed => (flags & Native.FlagNamed) != 0;
    /// <summary>True for an ERROR node inserted by error recovery.</summary>
    public bool IsError => (flags & Native.FlagError) != 0;
    /// <summary>True for a zero-width node the parser inserted because the source lacked it (e.g. a missing ")").</summary>
    public bool IsMissing => (flags & Native.FlagMissing) != 0;
    /// <summary>True for extras such as comments that may appear anywhere.</summary>
    public bool IsExtra => (flags & Native.FlagExtra) != 0;
    /// <summary>True when this node or a descendant is an error or missing node.</summary>
    public bool HasError => (flags & Native.FlagHasError) != 0;
    /// <summary>UTF-8 byte offset where the node starts.</summary>
    public int StartByte { get; }
    /// <summary>UTF-8 byte offset just past the node.</summary>
    public int EndByte { get; }
    /// <summary>UTF-16 character index where the node starts.</summary>
    public int Start { get; }
    /// <summary>UTF-16 character index just past the node.</summary>
    public int End { get; }
    /// <summary>Length in characters.</summary>
    public int Length => End - Start;
    /// <summary>The parent, or null for the root.</summary>
    public SyntaxNode? Parent { get; }
    /// <summary>Children in source order (named and anonymous).</summary>
    public IReadOnlyList<SyntaxNode> Children => children;
    /// <summary>Position among the parent's children.</summary>
    public int ChildIndex { get; }
    /// <summary>Number of edges from the root (root = 0).</summary>
    public int Depth { get; }
    /// <summary>True when the node has no children.</summary>
    public bool IsLeaf => children.Count == 0;
    /// <summary>Index into <see cref="SyntaxTree.Leaves"/> when <see cref="IsLeaf"/>, otherwise -1.</summary>
    public int LeafIndex { get; internal set; } = -1;
    /// <summary>The source text the node covers.</summary>
    public string Text => Tree.Source.Substring(Start, End - Start);

    /// <summary>Leaves under this node (itself when it is a leaf), in source order.</summary>
    public IEnumerable<SyntaxNode> Leaves => IsLeaf ? [this] : Descendants().Where(n => n.IsLeaf);

    /// <summary>All nodes under this one, in pre-order, excluding itself.</summary>
    public IEnumerable<SyntaxNode> Descendants()
    {
        var stack = new Stack<SyntaxNode>();
        for (int i = children.Count - 1; i >= 0; i--) stack.Push(children[i]);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            yield return n;
            for (int i = n.children.Count - 1; i >= 0; i--) stack.Push(n.children[i]);
        }
    }

    /// <summary>Parent, grandparent, … up to the root.</summary>
    public IEnumerable<SyntaxNode> Ancestors()
    {
        for (var p = Parent; p != null; p = p.Parent) yield return p;
    }

    /// <summary>The first child held through <paramref name="field"/>, or null.</summary>
    public SyntaxNode? ChildByField(string field) => children.FirstOrDefault(c => c.FieldName == field);

    /// <summary>Named children only.</summary>
    public IEnumerable<SyntaxNode> NamedChildren => children.Where(c => c.IsNamed);

    /// <summary>Tree-sitter style S-expression of the named nodes under this one, e.g. (module (expression_statement (call …))).</summary>
    public string ToSExpression()
    {
        var sb = new System.Text.StringBuilder();
        Write(this, null);
        return sb.ToString();

        void Write(SyntaxNode n, string? field)
        {
            if (sb.Length > 0) sb.Append(' ');
            if (field != null) sb.Append(field).Append(": ");
            sb.Append('(').Append(n.IsMissing ? "MISSING " + n.Type : n.Type);
            foreach (var c in n.children)
                if (c.IsNamed || c.IsMissing || c.IsError) Write(c, c.FieldName);
            sb.Append(')');
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Type} [{Start}, {End})";
}
