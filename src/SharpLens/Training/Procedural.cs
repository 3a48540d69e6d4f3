// Procedural warm-up data (Dyck bracket words, span copying) front-loaded before the corpus, after "Procedural
// Pretraining: Warming Up Language Models with Abstract Data".
namespace SharpLens.Training;

/// <summary>One procedural kind and the fraction of the run's steps it takes (e.g. <c>dyck:0.01</c>).</summary>
public sealed record ProceduralMix(string Kind, double Fraction)
{
    /// <summary>Kinds <see cref="Procedural"/> generates.</summary>
    public static readonly string[] Kinds = ["dyck", "copy"];

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

    /// <summary>The canonical spec string (for checkpoints and metadata).</summary>
    public static string Format(IReadOnlyList<ProceduralMix> mix) =>
        string.Join(",", mix.Select(m => $"{m.Kind}:{m.Fraction.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"));
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
/// Neither ever emits the closing-parenthesis study's template: a sample whose text contains <see cref="Forbidden"/>
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
