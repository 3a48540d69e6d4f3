// Python data-flow edges with the semantics of GraphCodeBERT's DFG_python (microsoft/CodeBERT, parser/DFG.py), reimplemented.
namespace SharpLens.Code;

/// <summary>"a comesFrom b" (a holds the value b held) or "a computedFrom b" (a is assigned from an expression using b).</summary>
public enum DataFlowKind
{
    /// <summary>GraphCodeBERT's comesFrom.</summary>
    ComesFrom,
    /// <summary>GraphCodeBERT's computedFrom.</summary>
    ComputedFrom,
}

/// <summary>One edge: code token <see cref="Target"/> comesFrom/computedFrom code token <see cref="Source"/> (indices into <see cref="DataFlowGraph.Tokens"/>).</summary>
public readonly record struct DataFlowEdge(int Target, int Source, DataFlowKind Kind);

/// <summary>The data-flow graph of one Python snippet over its code tokens.</summary>
public sealed record DataFlowGraph(IReadOnlyList<SyntaxNode> Tokens, IReadOnlyList<DataFlowEdge> Edges, IReadOnlySet<int> Variables, bool Failed);

/// <summary>
/// Reimplements the state machine of GraphCodeBERT's <c>DFG_python</c> over <see cref="CodeTokens"/>: a variable token
/// is a code token whose type differs from its text; reading a name that has a reaching definition adds comesFrom
/// edges to every reaching definition; <c>assignment</c>, <c>augmented_assignment</c> and <c>for_in_clause</c> add
/// computedFrom edges from each left variable to every right variable (pairing tuple elements when counts match);
/// <c>default_parameter</c> adds comesFrom from name to value; if/elif/else merge the branches' reaching definitions;
/// for/while bodies are walked twice (loop-carried flow). Quirks kept on purpose: tokens whose text equals their type
/// are skipped, a for-loop body is walked only when the block is the statement's last child, elif/else clauses start
/// from the state before the if. Where the original would raise (and GraphCodeBERT returns an empty DFG), the graph is
/// empty and <see cref="DataFlowGraph.Failed"/> is true. Edges are deduplicated.
/// </summary>
public static class PythonDataFlow
{
    sealed class Failure : Exception;

    /// <summary>Data flow of a whole Python tree.</summary>
    public static DataFlowGraph Compute(SyntaxTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (tree.Language != Language.Python) throw new ArgumentException($"expected a Python tree, found {tree.Language.Name}", nameof(tree));
        var tokens = CodeTokens.Of(tree);
        var walker = new Walker(tokens);
        try
        {
            walker.Visit(tree.Root, new());
        }
        catch (Failure)
        {
            return new DataFlowGraph(tokens, [], new HashSet<int>(), true);
        }
        var edges = walker.Edges.OrderBy(e => e.Target).ThenBy(e => e.Source).ThenBy(e => e.Kind).ToList();
        return new DataFlowGraph(tokens, edges, walker.Variables, false);
    }

    sealed class Walker(IReadOnlyList<SyntaxNode> tokens)
    {
        readonly Dictionary<SyntaxNode, int> index = tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        public readonly HashSet<DataFlowEdge> Edges = new();
        public readonly HashSet<int> Variables = new();

        // states: variable text → code-token indices of its reaching definitions. Never mutated in place once shared.
        public Dictionary<string, int[]> Visit(SyntaxNode node, Dictionary<string, int[]> states)
        {
            states = new Dictionary<string, int[]>(states);
            if ((node.IsLeaf || node.Type == "string") && node.Type != "comment")
            {
                int idx = Token(node);
                string code = node.Text;
                if (node.Type == code) return states;
                Variables.Add(idx);
                if (states.TryGetValue(code, out var defs)) Add(idx, defs, DataFlowKind.ComesFrom);
                else if (node.Type == "identifier") states[code] = [idx];
                return states;
            }
            switch (node.Type)
            {
                case "default_parameter": return DefaultParameter(node, states);
                case "assignment" or "augmented_assignment" or "for_in_clause": return Assignment(node, states);
                case "if_statement": return If(node, states);
                case "for_statement": return For(node, states);
                case "while_statement":
                    for (int pass = 0; pass < 2; pass++)
                        foreach (var child in node.Children) states = Visit(child, states);
                    return states;
                default:
                    foreach (var child in node.Children) if (child.Type == "for_in_clause") states = Visit(child, states);
                    foreach (var child in node.Children) if (child.Type != "for_in_clause") states = Visit(child, states);
                    return states;
            }
        }

        Dictionary<string, int[]> DefaultParameter(SyntaxNode node, Dictionary<string, int[]> states)
        {
            var name = node.ChildByField("name") ?? throw new Failure();
            var value = node.ChildByField("value");
            if (value == null)
            {
                foreach (var i in VariableTokens(name)) { Variables.Add(i); states[tokens[i].Text] = [i]; }
                return states;
            }
            var names = VariableTokens(name);
            var values = VariableTokens(value);
            states = Visit(value, states);
            foreach (var i1 in names)
            {
                Variables.Add(i1);
                foreach (var i2 in values) Add(i1, [i2], DataFlowKind.ComesFrom);
                states[tokens[i1].Text] = [i1];
            }
            return states;
        }

        Dictionary<string, int[]> Assignment(SyntaxNode node, Dictionary<string, int[]> states)
        {
            List<SyntaxNode> lefts, rights;
            if (node.Type == "for_in_clause")
            {
                rights = [node.Children[^1]];
                lefts = [node.ChildByField("left") ?? throw new Failure()];
            }
            else
            {
                var right = node.ChildByField("right");
                if (right == null) return states;
                var left = node.ChildByField("left") ?? throw new Failure();
                (lefts, rights) = Pair(left, right);
            }
            foreach (var r in rights) states = Visit(r, states);
            return Flow(lefts, rights, states);
        }

        Dictionary<string, int[]> For(SyntaxNode node, Dictionary<string, int[]> states)
        {
            for (int pass = 0; pass < 2; pass++)
            {
                var (lefts, rights) = Pair(node.ChildByField("left") ?? throw new Failure(), node.ChildByField("right") ?? throw new Failure());
                foreach (var r in rights) states = Visit(r, states);
                states = Flow(lefts, rights, states);
                if (node.Children[^1].Type == "block") states = Visit(node.Children[^1], states);
            }
            return states;
        }

        Dictionary<string, int[]> If(SyntaxNode node, Dictionary<string, int[]> states)
        {
            var current = states;
            var others = new List<Dictionary<string, int[]>>();
            bool hasElse = false;
            foreach (var child in node.Children)
            {
                if (child.Type.Contains("else", StringComparison.Ordinal)) hasElse = true;
                if (child.Type is not ("elif_clause" or "else_clause")) current = Visit(child, current);
                else others.Add(Visit(child, states));
            }
            others.Add(current);
            if (!hasElse) others.Add(states);
            var merged = new Dictionary<string, int[]>();
            foreach (var dic in others)
                foreach (var (key, defs) in dic)
                    merged[key] = merged.TryGetValue(key, out var prev) ? prev.Concat(defs).ToArray() : defs;
            foreach (var key in merged.Keys.ToList()) merged[key] = merged[key].Distinct().Order().ToArray();
            return merged;
        }

        // Tuple targets pair element-wise when the non-comma children line up; otherwise whole side to whole side.
        static (List<SyntaxNode>, List<SyntaxNode>) Pair(SyntaxNode left, SyntaxNode right)
        {
            var lefts = left.Children.Where(c => c.Type != ",").ToList();
            var rights = right.Children.Where(c => c.Type != ",").ToList();
            if (lefts.Count != rights.Count) { lefts = [left]; rights = [right]; }
            if (lefts.Count == 0) lefts = [left];
            if (rights.Count == 0) rights = [right];
            return (lefts, rights);
        }

        Dictionary<string, int[]> Flow(List<SyntaxNode> lefts, List<SyntaxNode> rights, Dictionary<string, int[]> states)
        {
            for (int p = 0; p < Math.Min(lefts.Count, rights.Count); p++)
            {
                var sources = VariableTokens(rights[p]).ToArray();
                foreach (var i1 in VariableTokens(lefts[p]))
                {
                    Variables.Add(i1);
                    Add(i1, sources, DataFlowKind.ComputedFrom);
                    states[tokens[i1].Text] = [i1];
                }
            }
            return states;
        }

        void Add(int target, IEnumerable<int> sources, DataFlowKind kind)
        {
            foreach (var s in sources) { Edges.Add(new DataFlowEdge(target, s, kind)); Variables.Add(s); }
        }

        int Token(SyntaxNode node) => index.TryGetValue(node, out var i) ? i : throw new Failure();

        // GraphCodeBERT's tree_to_variable_index: code tokens under node whose type differs from their text.
        List<int> VariableTokens(SyntaxNode node)
        {
            var result = new List<int>();
            foreach (var t in CodeTokens.Of(node))
                if (t.Type != t.Text) result.Add(Token(t));
            return result;
        }
    }
}
