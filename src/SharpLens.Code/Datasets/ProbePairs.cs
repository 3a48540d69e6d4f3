// Token-pair datasets for the SSM-Interpret probing tasks: AST distance, sibling motif, Python data flow.
using System.Text.Json;

namespace SharpLens.Code.Datasets;

/// <summary>One end of a pair: a code token of the function (index into its code tokens, character span in the function code).</summary>
public readonly record struct PairToken(int Index, int Start, int End, string Text, string Type);

/// <summary>
/// A labelled pair of code tokens from one function; tokenizer-independent, so every model gets the same pairs.
/// JSON fields: id, task, label, split, function_id, source (file relative to the source dir), line, file_start,
/// file_end (the function's region in the file, from the start of its def line), dedent, code (the dedented function
/// the spans index), a / b ({index, start, end, text, type}), distance (AST distance of a and b), seed, generator.
/// </summary>
public sealed record ProbePair(string Id, string Task, string Label, string Split, ProbeFunction Function, PairToken A, PairToken B,
    int Distance, long Seed)
{
    /// <summary>Writes the fields in the documented order.</summary>
    public static void WriteJson(Utf8JsonWriter w, ProbePair p)
    {
        w.WriteString("id", p.Id);
        w.WriteString("task", p.Task);
        w.WriteString("label", p.Label);
        w.WriteString("split", p.Split);
        w.WriteNumber("function_id", p.Function.Id);
        w.WriteString("source", p.Function.Source);
        w.WriteNumber("line", p.Function.Line);
        w.WriteNumber("file_start", p.Function.FileStart);
        w.WriteNumber("file_end", p.Function.FileEnd);
        w.WriteNumber("dedent", p.Function.Dedent);
        w.WriteString("code", p.Function.Code);
        Token(w, "a", p.A);
        Token(w, "b", p.B);
        w.WriteNumber("distance", p.Distance);
        w.WriteNumber("seed", p.Seed);
        w.WriteString("generator", ProbePairs.Generator);
    }

    static void Token(Utf8JsonWriter w, string name, PairToken t)
    {
        w.WriteStartObject(name);
        w.WriteNumber("index", t.Index);
        w.WriteNumber("start", t.Start);
        w.WriteNumber("end", t.End);
        w.WriteString("text", t.Text);
        w.WriteString("type", t.Type);
        w.WriteEndObject();
    }
}

/// <summary>Per-label counts of a generated dataset.</summary>
public sealed record PairReport(IReadOnlyDictionary<string, long> Candidates, IReadOnlyDictionary<string, int> Produced, IReadOnlyDictionary<string, int> Shortfall);

/// <summary>
/// Builds the three probing datasets over <see cref="ProbeFunction"/>s. Candidates per label are sampled uniformly
/// with a seeded reservoir; each label is then shuffled and split 80/20 (train/test). Pair rules:
/// <list type="bullet">
/// <item>ast-distance: a is a keyword-type code token (<see cref="CodeTokens.IsKeyword"/>), b any other code token of
/// the function; label = AST distance, kept when in 2..6.</item>
/// <item>sibling: every ordered pair (a, b), a ≠ b; label "1" when <see cref="AstRelations.IsSibling"/>, else "0".</item>
/// <item>dataflow: a comesFrom/computedFrom b per <see cref="PythonDataFlow"/> (self-edges and pairs with both kinds
/// dropped); "none" = ordered pairs (a, b) of data-flow variables, a an identifier (as edge targets are), docstrings
/// excluded, with no edge in either direction.</item>
/// </list>
/// When a label has fewer candidates than asked, all of them are used and the shortfall is reported.
/// </summary>
public static class ProbePairs
{
    /// <summary>Generator name/version recorded in every pair.</summary>
    public const string Generator = "sharplens.data.probe-pairs/1";

    /// <summary>Task names accepted by <see cref="Generate"/>.</summary>
    public static readonly IReadOnlyList<string> Tasks = ["ast-distance", "sibling", "dataflow"];

    readonly record struct Candidate(int Function, int A, int B);

    /// <summary>Generates pairs for <paramref name="task"/>; <paramref name="perLabel"/> defaults to 1,300 (distance) or 1,500.</summary>
    public static (IReadOnlyList<ProbePair> Pairs, PairReport Report) Generate(string task, IReadOnlyList<ProbeFunction> functions, long seed,
        int? perLabel = null, double trainFraction = 0.8)
    {
        ArgumentNullException.ThrowIfNull(functions);
        if (trainFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(trainFraction), $"expected a train fraction in (0, 1), found {trainFraction}");
        var (labels, count) = task switch
        {
            "ast-distance" => (new[] { "2", "3", "4", "5", "6" }, perLabel ?? 1300),
            "sibling" => (new[] { "1", "0" }, perLabel ?? 1500),
            "dataflow" => (new[] { "comesFrom", "computedFrom", "none" }, perLabel ?? 1500),
            _ => throw new ArgumentException($"expected a task among {string.Join(", ", Tasks)}, found '{task}'", nameof(task)),
        };
        var rng = new SeededRandom(seed, 21, Tasks.ToList().IndexOf(task));
        var reservoirs = labels.ToDictionary(l => l, _ => new Reservoir(count, rng));
        foreach (var f in functions)
        {
            var t = f.Tokens;
            switch (task)
            {
                case "ast-distance":
                    for (int a = 0; a < t.Count; a++)
                    {
                        if (!CodeTokens.IsKeyword(t[a])) continue;
                        for (int b = 0; b < t.Count; b++)
                        {
                            if (a == b) continue;
                            int d = AstRelations.Distance(t[a], t[b]);
                            if (d is >= 2 and <= 6) reservoirs[d.ToString()].Offer(new Candidate(f.Id, a, b));
                        }
                    }
                    break;
                case "sibling":
                    for (int a = 0; a < t.Count; a++)
                        for (int b = 0; b < t.Count; b++)
                            if (a != b) reservoirs[AstRelations.IsSibling(t[a], t[b]) ? "1" : "0"].Offer(new Candidate(f.Id, a, b));
                    break;
                default:
                    DataFlowCandidates(f, reservoirs);
                    break;
            }
        }

        var pairs = new List<ProbePair>();
        var shortfall = new Dictionary<string, int>();
        foreach (var label in labels)
        {
            var picked = reservoirs[label].Items;
            rng.Shuffle(picked);
            if (picked.Count < count) shortfall[label] = count - picked.Count;
            int train = (int)Math.Round(picked.Count * trainFraction);
            for (int i = 0; i < picked.Count; i++)
            {
                var c = picked[i];
                var f = functions[c.Function];
                var split = i < train ? "train" : "test";
                pairs.Add(new ProbePair($"{task}-{label}-{split}-{i:D4}", task, label, split, f, Token(f, c.A), Token(f, c.B),
                    AstRelations.Distance(f.Tokens[c.A], f.Tokens[c.B]), seed));
            }
        }
        var report = new PairReport(labels.ToDictionary(l => l, l => reservoirs[l].Seen), labels.ToDictionary(l => l, l => reservoirs[l].Items.Count), shortfall);
        return (pairs, report);
    }

    static void DataFlowCandidates(ProbeFunction f, Dictionary<string, Reservoir> reservoirs)
    {
        var g = PythonDataFlow.Compute(f.Tree);
        if (g.Failed) return;
        var kinds = new Dictionary<(int, int), DataFlowKind?>();
        foreach (var e in g.Edges)
        {
            if (e.Target == e.Source) continue;
            var key = (e.Target, e.Source);
            kinds[key] = kinds.TryGetValue(key, out var k) && k != e.Kind ? null : e.Kind;
        }
        foreach (var ((a, b), kind) in kinds.OrderBy(k => k.Key))
            if (kind.HasValue) reservoirs[kind == DataFlowKind.ComesFrom ? "comesFrom" : "computedFrom"].Offer(new Candidate(f.Id, a, b));
        var linked = new HashSet<(int, int)>(g.Edges.SelectMany(e => new[] { (e.Target, e.Source), (e.Source, e.Target) }));
        // Standalone string statements (docstrings) are dropped from "none": GraphCodeBERT strips them before its DFG.
        var vars = g.Variables.Where(v => !IsDocstring(g.Tokens[v])).Order().ToArray();
        foreach (var a in vars)
        {
            if (g.Tokens[a].Type != "identifier") continue;   // edge targets are names; keep "none" alike so type alone does not tell
            foreach (var b in vars)
                if (a != b && !linked.Contains((a, b))) reservoirs["none"].Offer(new Candidate(f.Id, a, b));
        }
    }

    static bool IsDocstring(SyntaxNode n) => n.Type == "string" && n.Parent is { Type: "expression_statement", Children.Count: 1 };

    static PairToken Token(ProbeFunction f, int i)
    {
        var n = f.Tokens[i];
        return new PairToken(i, n.Start, n.End, n.Text, n.Type);
    }

    /// <summary>Uniform sample of a stream (Algorithm R), deterministic for a given generator and stream order.</summary>
    sealed class Reservoir(int capacity, SeededRandom rng)
    {
        public readonly List<Candidate> Items = new();
        public long Seen { get; private set; }

        public void Offer(Candidate c)
        {
            Seen++;
            if (Items.Count < capacity) { Items.Add(c); return; }
            long j = (long)(rng.NextUInt64() % (ulong)Seen);
            if (j < capacity) Items[(int)j] = c;
        }
    }
}
