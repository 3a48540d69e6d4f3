// Procedural data (Dyck bracket words, span copying, nested call expressions) front-loaded before the corpus or spread
// through it, after "Procedural Pretraining: Warming Up Language Models with Abstract Data".
namespace SharpLens.Training;

/// <summary>Where procedural sequences go: all before the corpus (a warm-up), or spread evenly among corpus sequences.</summary>
public enum ProceduralSchedule { Front, Spread }

/// <summary>One procedural kind and the fraction of the run's steps it takes (e.g. <c>dyck:0.01</c>).</summary>
public sealed record ProceduralMix(string Kind, double Fraction)
{
    /// <summary>Kinds <see cref="Procedural"/> generates.</summary>
    public static readonly string[] Kinds = ["dyck", "copy", "calls", "calls-copy", "nest-copy"];

    /// <summary>Parses <c>KIND:FRACTION[,KIND:FRACTION…]</c>; an empty string is no warm-up.</summary>
    public static IReadOnlyList<ProceduralMix> ParseList(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) return [];
        var list = new List<ProceduralMix>();
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries))
        {
            var kv = part.Split(':');
            if (kv.Length != 2)
                throw new ArgumentException($"--procedural expects KIND:FRACTION[,KIND:FRACTION…], found '{part}'");
            if (!Kinds.Contains(kv[0]))
                throw new ArgumentException($"--procedural kind '{kv[0]}' is unknown (expected one of: {string.Join(", ", Kinds)})");
            if (!double.TryParse(kv[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var f)
                || !(f > 0 && f < 1))
                throw new ArgumentException($"--procedural fraction of '{kv[0]}' must be a number in (0, 1), found '{kv[1]}'");
            if (list.Any(m => m.Kind == kv[0])) throw new ArgumentException($"--procedural names '{kv[0]}' twice");
            list.Add(new ProceduralMix(kv[0], f));
        }
        if (list.Sum(m => m.Fraction) >= 1) throw new ArgumentException($"--procedural fractions add up to {list.Sum(m => m.Fraction)}; they must add up to less than 1 to leave room for the corpus");
        return list;
    }

    /// <summary>The canonical spec string (for checkpoints and metadata); a spread schedule is suffixed <c>@spread</c>.</summary>
    public static string Format(IReadOnlyList<ProceduralMix> mix, ProceduralSchedule schedule = ProceduralSchedule.Front) =>
        string.Join(",", mix.Select(m => $"{m.Kind}:{m.Fraction.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"))
        + (schedule == ProceduralSchedule.Spread && mix.Count > 0 ? "@spread" : "");

    /// <summary>Parses <c>front</c> | <c>spread</c>.</summary>
    public static ProceduralSchedule ParseSchedule(string? s) => s switch
    {
        null or "front" => ProceduralSchedule.Front,
        "spread" => ProceduralSchedule.Spread,
        _ => throw new ArgumentException($"--procedural-schedule must be front or spread, found '{s}'"),
    };
}

/// <summary>
/// Generates procedural training sequences as token ids of the run's tokenizer, each filled to the sequence length with
/// samples separated by the document separator. Deterministic in the seed it is given.
/// <para><b>dyck</b>: a balanced word over <c>() [] {}</c> of depth 1–8 and 2–60 bracket pairs, with a few one-character
/// atoms (a lowercase letter or a digit) between brackets, written as text and encoded by the tokenizer — so the closing
/// runs are the same tokens (<c>)</c>, <c>))</c>, …) as in code. All positions carry a loss.</para>
/// <para><b>copy</b>: a span of 4–48 uniformly random non-special token ids, a marker (the pad token, else the
/// separator), then the span again; only the copied span and the separator after it are targets (the first span and
/// the marker are unpredictable by design).</para>
/// <para><b>calls</b>: 1–4 lines of nested call expressions such as <c>total = round(abs(len(items)), 2)</c> with
/// nesting depth 1–6, callees drawn from common Python builtins and library functions (never <c>print</c> or
/// <c>str</c>, the template's callees), innermost arguments numbers, names or string literals, and now and then a second
/// argument after an inner call (so closing runs of every length and broken runs both occur). All positions carry a
/// loss.</para>
/// <para><b>calls-copy</b>: a literal bound to a name on a first line (<c>value = 4729</c>: a number of 1–5 digits, each
/// length equally likely, or a short string literal), then 1–3 lines of nested calls (as <b>calls</b>) whose innermost
/// argument is that literal again (70 %) or the name: where the copied literal ends, and so where the closing run starts,
/// can only be read from its first occurrence, never guessed from typical number lengths. All positions carry a loss.</para>
/// <para><b>nest-copy</b>: <b>calls-copy</b> made to teach counting across callees: the literal is bound by an assignment
/// or named in a comment line (<c># size 4729</c>), the nested calls draw their callees from the calls list plus the
/// most common Python callees it leaves out (<c>print</c>, <c>str</c>, <c>repr</c>-like builtins), nesting depth is
/// uniform in 1–6 (every closing run up to <c>))))</c> and the split runs beyond equally often), and the innermost
/// argument is always the literal. The study's template stays out: a sample with <c>print(str(</c>, <c>str(str(</c> or
/// <c>#print the string</c> anywhere is drawn again, so neither <c>print</c> nor <c>str</c> is ever followed by
/// <c>str</c> (the template's chains are left for the model to generalise to).</para>
/// None ever emits the closing-parenthesis study's template: a sample whose text contains <see cref="Forbidden"/>
/// is drawn again (the check runs on the decoded ids where a decoder is available, on the generated text otherwise).
/// </summary>
public sealed class Procedural
{
    /// <summary>Substrings of the study template that procedural data must never contain.</summary>
    public static readonly string[] Forbidden = ["#print the string", "print(str("];

    const string Opens = "([{", Closes = ")]}";
    const string Atoms = "abcdefghijklmnopqrstuvwxyz0123456789";
    readonly TrainTokenizer tok;
    readonly int[] plainIds;             // ids a copy span draws from: every id that is not special
    readonly Func<int[], string>? decode;

    /// <param name="tok">The run's tokenizer (its decoder, when it has one, checks copy samples for the forbidden strings).</param>
    public Procedural(TrainTokenizer tok)
    {
        this.tok = tok; decode = tok.Decode;
        plainIds = Enumerable.Range(0, tok.VocabSize).Where(i => !tok.SpecialIds.Contains(i) && i != tok.PadId && i != tok.MaskId && i != tok.Separator).ToArray();
        if (plainIds.Length < 2) throw new InvalidDataException($"the tokenizer has {plainIds.Length} non-special ids; procedural data needs at least 2");
    }

    /// <summary>A sequence of exactly <paramref name="length"/> ids and per-position "carries a loss" flags for the target at that position.</summary>
    public (int[] Ids, bool[] Learn) Sequence(string kind, ref SplitMix64 rng, int length)
    {
        var ids = new List<int>(length + 64);
        var learn = new List<bool>(length + 64);
        while (ids.Count < length)
        {
            switch (kind)
            {
                case "dyck":
                    var d = tok.Encode(DyckText(ref rng));
                    ids.AddRange(d); learn.AddRange(Enumerable.Repeat(true, d.Length));
                    break;
                case "calls":
                    var c = tok.Encode(CallsText(ref rng));
                    ids.AddRange(c); learn.AddRange(Enumerable.Repeat(true, c.Length));
                    break;
                case "calls-copy":
                    var cc = tok.Encode(CallsCopyText(ref rng));
                    ids.AddRange(cc); learn.AddRange(Enumerable.Repeat(true, cc.Length));
                    break;
                case "nest-copy":
                    var nc = tok.Encode(NestCopyText(ref rng));
                    ids.AddRange(nc); learn.AddRange(Enumerable.Repeat(true, nc.Length));
                    break;
                case "copy":
                    var span = CopySpan(ref rng);
                    ids.AddRange(span); learn.AddRange(Enumerable.Repeat(false, span.Length));
                    ids.Add(Marker); learn.Add(false);                   // where the span ends is not predictable
                    ids.AddRange(span); learn.AddRange(Enumerable.Repeat(true, span.Length));
                    break;
                default: throw new ArgumentException($"procedural kind '{kind}' is unknown (expected one of: {string.Join(", ", ProceduralMix.Kinds)})");
            }
            ids.Add(tok.Separator); learn.Add(true);
        }
        // learn[i] says whether ids[i] is a target; a position's label is the next id, so shift the flags by one.
        var flags = new bool[length];
        for (int i = 0; i < length; i++) flags[i] = i + 1 < learn.Count && learn[i + 1];
        return (ids.GetRange(0, length).ToArray(), flags);
    }

    /// <summary>One Dyck word with atoms, as text; never contains a <see cref="Forbidden"/> string.</summary>
    public static string DyckText(ref SplitMix64 rng)
    {
        while (true)
        {
            int maxDepth = 1 + rng.NextInt(8), pairs = 2 + rng.NextInt(59);
            var sb = new System.Text.StringBuilder();
            var stack = new Stack<int>();
            int opened = 0;
            while (opened < pairs || stack.Count > 0)
            {
                bool canOpen = opened < pairs && stack.Count < maxDepth;
                bool open = canOpen && (stack.Count == 0 || rng.NextDouble() < 0.55);
                if (open)
                {
                    int k = rng.NextInt(Opens.Length);
                    stack.Push(k); sb.Append(Opens[k]); opened++;
                }
                else sb.Append(Closes[stack.Pop()]);
                if (rng.NextDouble() < 0.25) sb.Append(Atoms[rng.NextInt(Atoms.Length)]);
            }
            var text = sb.ToString();
            if (!ContainsForbidden(text)) return text;
        }
    }

    // Callees of the calls kind: builtins and common library functions, none of the study template's (print, str).
    static readonly string[] Callees =
    [
        "len", "int", "float", "abs", "round", "min", "max", "sum", "sorted", "list", "tuple", "set", "dict", "repr", "bool",
        "hex", "ord", "chr", "iter", "next", "range", "enumerate", "zip", "reversed", "type", "id", "hash", "format",
        "math.sqrt", "math.floor", "math.ceil", "math.log", "os.path.join", "os.path.basename", "os.path.dirname",
        "np.array", "np.mean", "np.sum", "json.dumps", "json.loads", "re.compile", "self.get", "self._convert", "obj.append",
        "result.extend", "Decimal", "Fraction", "Path", "datetime.timedelta", "struct.pack", "bytes", "bytearray", "divmod",
        "pow", "isinstance", "getattr", "callable", "f", "g", "func", "wrap", "check", "parse", "encode", "decode", "sympify",
    ];
    static readonly string[] Names = ["x", "y", "n", "i", "value", "items", "data", "key", "size", "self.count", "args", "text", "node.value", "s"];
    static readonly string[] Targets = ["x = ", "n = ", "total = ", "result = ", "value = ", "return ", "yield ", "assert ", "", "", "self.size = ", "out.append("];

    /// <summary>1–4 lines of nested calls, as text; never contains a <see cref="Forbidden"/> string.</summary>
    public static string CallsText(ref SplitMix64 rng)
    {
        while (true)
        {
            var sb = new System.Text.StringBuilder();
            int lines = 1 + rng.NextInt(4);
            for (int l = 0; l < lines; l++)
            {
                sb.Append(' ', 4 * rng.NextInt(3));
                var target = Targets[rng.NextInt(Targets.Length)];
                sb.Append(target);
                int depth = 1 + rng.NextInt(rng.NextDouble() < 0.7 ? 4 : 6);
                CallExpr(sb, ref rng, depth);
                if (target.EndsWith('(')) sb.Append(')');
                sb.Append('\n');
            }
            var text = sb.ToString();
            if (!ContainsForbidden(text)) return text;
        }
    }

    /// <summary>A literal bound on a first line, then 1–3 lines of nested calls around it (or its name); never contains a <see cref="Forbidden"/> string.</summary>
    public static string CallsCopyText(ref SplitMix64 rng)
    {
        while (true)
        {
            var sb = new System.Text.StringBuilder();
            string literal;
            if (rng.NextDouble() < 0.8) literal = Number(ref rng);
            else
            {
                var str = new System.Text.StringBuilder("'");
                for (int i = 1 + rng.NextInt(6); i > 0; i--) str.Append(Atoms[rng.NextInt(26)]);
                literal = str.Append('\'').ToString();
            }
            var name = Names[rng.NextInt(Names.Length)];
            var indent = new string(' ', 4 * rng.NextInt(3));
            sb.Append(indent).Append(name).Append(" = ").Append(literal).Append('\n');
            for (int l = 1 + rng.NextInt(3); l > 0; l--)
            {
                sb.Append(indent);
                var target = Targets[rng.NextInt(Targets.Length)];
                sb.Append(target);
                int depth = 1 + rng.NextInt(rng.NextDouble() < 0.7 ? 4 : 6);
                CallExpr(sb, ref rng, depth, rng.NextDouble() < 0.7 ? literal : name);
                if (target.EndsWith('(')) sb.Append(')');
                sb.Append('\n');
            }
            var text = sb.ToString();
            if (!ContainsForbidden(text)) return text;
        }
    }

    // nest-copy's callees: the calls list and the common callees it leaves out (the forbidden check keeps print(str( out).
    static readonly string[] NestCallees = [.. Callees, "print", "str", "print", "str", "repr", "len", "int", "list"];
    // Comment lines that name the literal (never the template's "#print the string").
    static readonly string[] Comments = ["# size", "# the value is", "# expected", "# limit", "# count", "# id", "# read", "# default", "# returns", "# key"];

    /// <summary>A literal named on a first line (assignment or comment), then 1–3 lines of calls nested 1–6 deep around it; never contains a <see cref="Forbidden"/> string.</summary>
    public static string NestCopyText(ref SplitMix64 rng)
    {
        while (true)
        {
            var sb = new System.Text.StringBuilder();
            var literal = Number(ref rng);
            var indent = new string(' ', 4 * rng.NextInt(3));
            if (rng.NextDouble() < 0.5) sb.Append(indent).Append(Names[rng.NextInt(Names.Length)]).Append(" = ").Append(literal).Append('\n');
            else sb.Append(indent).Append(Comments[rng.NextInt(Comments.Length)]).Append(' ').Append(literal).Append('\n');
            for (int l = 1 + rng.NextInt(3); l > 0; l--)
            {
                sb.Append(indent);
                var target = Targets[rng.NextInt(Targets.Length)];
                sb.Append(target);
                CallExpr(sb, ref rng, 1 + rng.NextInt(6), literal, NestCallees);
                if (target.EndsWith('(')) sb.Append(')');
                sb.Append('\n');
            }
            var text = sb.ToString();
            // also never str(str(: the template's repeated callee stays something the model must generalise to
            if (!ContainsForbidden(text) && !text.Contains("str(str(", StringComparison.Ordinal)) return text;
        }
    }

    // A number of 1–5 digits, each length equally likely (its length must be copied, never guessed), no leading zero.
    static string Number(ref SplitMix64 rng)
    {
        int digits = 1 + rng.NextInt(5);
        var num = new System.Text.StringBuilder().Append((char)('1' + rng.NextInt(9)));
        for (int i = 1; i < digits; i++) num.Append((char)('0' + rng.NextInt(10)));
        return num.ToString();
    }

    // inner: the innermost argument (null: a random atom, as the calls kind draws it); callees: the list to draw from.
    static void CallExpr(System.Text.StringBuilder sb, ref SplitMix64 rng, int depth, string? inner = null, string[]? callees = null)
    {
        callees ??= Callees;
        sb.Append(callees[rng.NextInt(callees.Length)]).Append('(');
        if (depth == 1) { if (inner is null) Atom(sb, ref rng); else sb.Append(inner); }
        else CallExpr(sb, ref rng, depth - 1, inner, callees);
        if (rng.NextDouble() < 0.15) { sb.Append(", "); Atom(sb, ref rng); }
        sb.Append(')');
    }

    static void Atom(System.Text.StringBuilder sb, ref SplitMix64 rng)
    {
        double r = rng.NextDouble();
        if (r < 0.5) sb.Append(rng.NextDouble() < 0.6 ? 100 + rng.NextInt(900) : rng.NextInt(100_000));
        else if (r < 0.85) sb.Append(Names[rng.NextInt(Names.Length)]);
        else sb.Append('\'').Append(Atoms[rng.NextInt(26)]).Append(Atoms[rng.NextInt(26)]).Append(Atoms[rng.NextInt(Atoms.Length)]).Append('\'');
    }

    int Marker => tok.PadId ?? tok.Separator;

    int[] CopySpan(ref SplitMix64 rng)
    {
        while (true)
        {
            var span = new int[4 + rng.NextInt(45)];
            for (int i = 0; i < span.Length; i++) span[i] = plainIds[rng.NextInt(plainIds.Length)];
            // The whole sample (span, marker, span) is checked, so the template cannot form across the two copies.
            if (decode is null || !ContainsForbidden(decode([.. span, Marker, .. span]))) return span;
        }
    }

    /// <summary>True when <paramref name="text"/> holds any <see cref="Forbidden"/> string.</summary>
    public static bool ContainsForbidden(string text) => Forbidden.Any(f => text.Contains(f, StringComparison.Ordinal));
}
