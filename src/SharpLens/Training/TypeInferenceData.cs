// Type inference as token classification: labels from annotations and literal assignments, annotations stripped from the input.
using SharpLens.Code;
using SharpLens.Code.Datasets;

namespace SharpLens.Training;

/// <summary>An identifier to label: its [Start, End) in the stripped text, the normalised type, and where the label came from.</summary>
internal sealed record TypedName(int Start, int End, string Name, string Type, string Origin);

/// <summary>A function with its annotations removed and the identifiers whose types are known.</summary>
internal sealed record StrippedFunction(string Text, IReadOnlyList<TypedName> Names);

/// <summary>Token ids with one label per token (<see cref="DataStream.IgnoreIndex"/> = none).</summary>
internal sealed record TokenLabelExample(int[] Ids, int[] Labels, string File);

/// <summary>
/// Labels (origin in brackets): parameters <c>x: T</c> and <c>x: T = v</c> [param], annotated assignments
/// <c>y: T = v</c> or <c>y: T</c> with a plain name target [assign], return types <c>def f(…) -&gt; T</c> on the
/// function's name [return], and plain-name assignments of literals <c>x = 3</c> [literal: int, float, str, bytes, bool,
/// None, list, dict, tuple, set, the last four also for comprehensions]. Every annotation (also on attribute or
/// splat targets, which get no label) is removed from the text: from the end of the annotated name (or of the
/// parameter list) to the end of the type, so <c>x: int = 3</c> becomes <c>x = 3</c> and <c>-&gt; None:</c> becomes
/// <c>:</c>. Types are normalised by <see cref="Normalize"/>.
/// </summary>
internal static class TypeInferenceData
{
    /// <summary>
    /// The normalisation rule: quotes of forward references dropped; <c>Optional[X]</c>, <c>X | None</c> and
    /// <c>Union[X, None]</c> become X; other unions become <c>union</c>; then the outer name (before <c>[</c>) is kept,
    /// its last dotted component (<c>typing.List</c> → <c>List</c>), and typing aliases map to builtins (List → list,
    /// Dict → dict, Set → set, FrozenSet → frozenset, Tuple → tuple, Type → type, Text → str). So
    /// <c>List[int]</c> → list, <c>Optional[Dict[str, int]]</c> → dict, <c>np.ndarray</c> → ndarray.
    /// </summary>
    public static string Normalize(string annotation)
    {
        var t = annotation.Trim();
        if (t.Length >= 2 && (t[0] == '"' || t[0] == '\'') && t[^1] == t[0]) t = t[1..^1].Trim();
        var parts = SplitTop(t, '|').Where(p => p != "None").ToList();
        if (parts.Count == 0) return "None";
        if (parts.Count > 1) return "union";
        t = parts[0];
        int open = t.IndexOf('[');
        var outer = (open < 0 ? t : t[..open]).Trim();
        outer = outer[(outer.LastIndexOf('.') + 1)..];
        var args = open < 0 || !t.EndsWith(']') ? [] : SplitTop(t[(open + 1)..^1], ',');
        if (outer == "Optional" && args.Count == 1) return Normalize(args[0]);
        if (outer == "Union")
        {
            var members = args.Where(a => a != "None").ToList();
            return members.Count == 1 ? Normalize(members[0]) : members.Count == 0 ? "None" : "union";
        }
        return outer switch
        {
            "List" => "list", "Dict" => "dict", "Set" => "set", "FrozenSet" => "frozenset", "Tuple" => "tuple", "Type" => "type", "Text" => "str",
            _ => outer,
        };
    }

    static List<string> SplitTop(string s, char sep)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] is '[' or '(') depth++;
            else if (s[i] is ']' or ')') depth--;
            else if (s[i] == sep && depth == 0) { parts.Add(s[start..i].Trim()); start = i + 1; }
        }
        parts.Add(s[start..].Trim());
        return parts.Where(p => p.Length > 0).ToList();
    }

    /// <summary>The type of a literal right-hand side (<see cref="FineTuneData.KindOf"/>, with bytes told from str), or null when it is not a literal.</summary>
    public static string? LiteralType(SyntaxNode rhs) => FineTuneData.KindOf(rhs) switch
    {
        "call" or "other" => null,
        "str" when rhs.Text.TakeWhile(char.IsLetter).Any(c => c is 'b' or 'B') => "bytes",
        var kind => kind,
    };

    /// <summary>Removes every annotation of <paramref name="code"/> and lists the labelled identifiers (spans in the stripped text).</summary>
    public static StrippedFunction Strip(string code)
    {
        var tree = SyntaxTree.Parse(code, Language.Python);
        var cuts = new List<(int Start, int End)>();
        var names = new List<(int Start, int End, string Type, string Origin)>();
        foreach (var n in tree.Nodes)
        {
            switch (n.Type)
            {
                case "typed_parameter" when n.ChildByField("type") is { } type && n.NamedChildren.FirstOrDefault() is { } target:
                    cuts.Add((target.End, type.End));
                    if (target.Type == "identifier") names.Add((target.Start, target.End, Normalize(type.Text), "param"));
                    break;
                case "typed_default_parameter" when n.ChildByField("type") is { } type && n.ChildByField("name") is { } name:
                    cuts.Add((name.End, type.End));
                    if (name.Type == "identifier") names.Add((name.Start, name.End, Normalize(type.Text), "param"));
                    break;
                case "assignment" when n.ChildByField("left") is { } left:
                    if (n.ChildByField("type") is { } atype)
                    {
                        cuts.Add((left.End, atype.End));
                        if (left.Type == "identifier") names.Add((left.Start, left.End, Normalize(atype.Text), "assign"));
                    }
                    else if (left.Type == "identifier" && n.ChildByField("right") is { } right && LiteralType(right) is string lit)
                        names.Add((left.Start, left.End, lit, "literal"));
                    break;
                case "function_definition" when n.ChildByField("return_type") is { } ret && n.ChildByField("parameters") is { } ps && n.ChildByField("name") is { } fname:
                    cuts.Add((ps.End, ret.End));
                    names.Add((fname.Start, fname.End, Normalize(ret.Text), "return"));
                    break;
            }
        }
        cuts.Sort();
        var sb = new System.Text.StringBuilder();
        int at = 0;
        foreach (var (s, e) in cuts) { sb.Append(code, at, s - at); at = e; }
        sb.Append(code, at, code.Length - at);
        int Shift(int p) => p - cuts.Where(c => c.End <= p).Sum(c => c.End - c.Start);
        var typed = names.OrderBy(x => x.Start)
            .Select(x => new TypedName(Shift(x.Start), Shift(x.End), code[x.Start..x.End], x.Type, x.Origin)).ToList();
        return new StrippedFunction(sb.ToString(), typed);
    }

    /// <summary>
    /// One label per token: the token whose span holds a name's first character gets the name's label index (when its type
    /// is in <paramref name="labels"/>), every other token <see cref="DataStream.IgnoreIndex"/>; names past the last token get none.
    /// </summary>
    public static int[] Align(IReadOnlyList<(int Start, int End)> offsets, IReadOnlyList<TypedName> names, IReadOnlyDictionary<string, int> labels)
    {
        var result = Enumerable.Repeat(DataStream.IgnoreIndex, offsets.Count).ToArray();
        int t = 0;
        foreach (var n in names.OrderBy(n => n.Start))
        {
            while (t < offsets.Count && offsets[t].End <= n.Start) t++;
            if (t == offsets.Count) break;
            if (offsets[t].Start <= n.Start && labels.TryGetValue(n.Type, out var id) && result[t] == DataStream.IgnoreIndex) result[t] = id;
        }
        return result;
    }

    /// <summary>The <paramref name="k"/> most frequent types (count descending, then ordinal name); rarer types get no label.</summary>
    public static string[] LabelSet(IEnumerable<StrippedFunction> train, int k) =>
        train.SelectMany(f => f.Names).GroupBy(n => n.Type).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(k).Select(g => g.Key).ToArray();

    /// <summary>
    /// Examples of train and test functions (each truncated to <paramref name="seqLen"/> tokens); the label set comes from
    /// the training functions. Functions with no labelled token are left out.
    /// </summary>
    public static (List<TokenLabelExample> Train, List<TokenLabelExample> Test, string[] Labels) Build(IReadOnlyList<FunctionUnit> train,
        IReadOnlyList<FunctionUnit> test, Func<string, (int[] Ids, (int Start, int End)[] Offsets)> encode, int seqLen, int k)
    {
        var trainStripped = train.Select(u => (u, Strip(u.Code))).ToList();
        var labels = LabelSet(trainStripped.Select(x => x.Item2), k);
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        List<TokenLabelExample> Examples(IEnumerable<(FunctionUnit Unit, StrippedFunction S)> fs) => fs.Select(f =>
        {
            var (ids, offsets) = encode(f.S.Text);
            int n = Math.Min(ids.Length, seqLen);
            return new TokenLabelExample(ids[..n], Align(offsets[..n], f.S.Names, index), f.Unit.Path);
        }).Where(e => e.Labels.Any(l => l != DataStream.IgnoreIndex)).ToList();
        return (Examples(trainStripped), Examples(test.Select(u => (u, Strip(u.Code)))), labels);
    }
}
