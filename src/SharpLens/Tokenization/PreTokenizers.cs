// HF `tokenizers` pre-tokenizers (ByteLevel, Split, Digits, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Sequence).
using System.Globalization;
using System.Text.Json;

namespace SharpLens.Tokenization;

internal interface IPreTokenizer
{
    /// <summary>Splits every piece further; pieces are slices (or rewritten copies) of the normalized text.</summary>
    List<NormalizedString> Split(List<NormalizedString> pieces);
}

internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

internal static class PreTokenizers
{
    /// <summary>GPT-2's pre-tokenization regex, as HF's ByteLevel pre-tokenizer uses it.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static IPreTokenizer? FromJson(JsonElement e, string file)
    {
        if (e.ValueKind == JsonValueKind.Null || e.ValueKind == JsonValueKind.Undefined) return null;
        var type = Json.Type(e, "pre_tokenizer", file);
        switch (type)
        {
            case "Sequence":
                var list = new List<IPreTokenizer>();
                foreach (var p in Json.Array(e, "pretokenizers", file)) { var x = FromJson(p, file); if (x != null) list.Add(x); }
                for (int i = 0; i + 1 < list.Count; i++)
                    if (list[i] is ByteLevelPreTokenizer)
                        throw new NotSupportedException($"{file}: a ByteLevel pre-tokenizer followed by other pre-tokenizers in a Sequence is not supported");
                return new SequencePreTokenizer(list);
            case "ByteLevel":
                return new ByteLevelPreTokenizer(Json.Bool(e, "add_prefix_space", true), Json.Bool(e, "use_regex", true), file);
            case "Split":
                return new SplitPreTokenizer(Pattern.FromJson(Json.Get(e, "pattern", file), file),
                    ParseBehavior(Json.String(e, "behavior", file), file), Json.Bool(e, "invert", false));
            case "Digits":
                return new CharClassPreTokenizer(numeric: true, Json.Bool(e, "individual_digits", false) ? SplitBehavior.Isolated : SplitBehavior.Contiguous);
            case "Punctuation":
                var behavior = Json.OptionalString(e, "behavior") is { } b ? ParseBehavior(b, file) : SplitBehavior.Isolated;
                return new CharClassPreTokenizer(numeric: false, behavior);
            case "Whitespace":
                return new SplitPreTokenizer(Pattern.FromRegex(@"\w+|[^\w\s]+", file), SplitBehavior.Removed, invert: true);
            case "WhitespaceSplit":
                return new SplitPreTokenizer(Pattern.FromRegex(@"\s+", file), SplitBehavior.Removed, invert: false);
            case "Metaspace":
                var replacement = Json.OptionalString(e, "replacement") ?? "\u2581";
                var scheme = Json.OptionalString(e, "prepend_scheme") ?? (Json.Bool(e, "add_prefix_space", true) ? "always" : "never");
                return new MetaspacePreTokenizer(replacement, scheme, Json.Bool(e, "split", true));
            default:
                throw new NotSupportedException($"{file}: pre_tokenizer type '{type}' is not supported " +
                    "(supported: Sequence, ByteLevel, Split, Digits, Punctuation, Whitespace, WhitespaceSplit, Metaspace)");
        }
    }

    static SplitBehavior ParseBehavior(string s, string file) => s switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw new NotSupportedException($"{file}: split behavior '{s}' is not supported (expected Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)"),
    };

    /// <summary>Splits one piece given delimiter ranges (matches), as HF's NormalizedString::split does.</summary>
    public static void SplitByMatches(NormalizedString piece, List<(int Start, int End)> matches, SplitBehavior behavior,
        bool invert, List<NormalizedString> output)
    {
        // Build (start, end, isMatch) segments covering the piece.
        var segs = new List<(int S, int E, bool M)>(matches.Count * 2 + 1);
        int last = 0;
        foreach (var (s, e) in matches)
        {
            if (s > last) segs.Add((last, s, invert));
            segs.Add((s, e, !invert));
            last = e;
        }
        if (last < piece.Length) segs.Add((last, piece.Length, invert));

        var merged = new List<(int S, int E)>(segs.Count);
        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var x in segs) if (!x.M) merged.Add((x.S, x.E));
                break;
            case SplitBehavior.Isolated:
                foreach (var x in segs) merged.Add((x.S, x.E));
                break;
            case SplitBehavior.Contiguous:
                for (int i = 0; i < segs.Count; i++)
                {
                    if (segs[i].M && merged.Count > 0 && i > 0 && segs[i - 1].M) merged[^1] = (merged[^1].S, segs[i].E);
                    else merged.Add((segs[i].S, segs[i].E));
                }
                break;
            case SplitBehavior.MergedWithPrevious:
                for (int i = 0; i < segs.Count; i++)
                {
                    if (segs[i].M && merged.Count > 0 && !(i > 0 && segs[i - 1].M)) merged[^1] = (merged[^1].S, segs[i].E);
                    else merged.Add((segs[i].S, segs[i].E));
                }
                break;
            case SplitBehavior.MergedWithNext:
                bool pendingMatch = false;
                for (int i = 0; i < segs.Count; i++)
                {
                    if (pendingMatch && !segs[i].M) merged[^1] = (merged[^1].S, segs[i].E);
                    else merged.Add((segs[i].S, segs[i].E));
                    pendingMatch = segs[i].M;
                }
                break;
        }
        foreach (var (s, e) in merged)
            if (e > s) output.Add(piece.Slice(s, e));
    }
}

internal sealed class SequencePreTokenizer(List<IPreTokenizer> items) : IPreTokenizer
{
    public List<NormalizedString> Split(List<NormalizedString> pieces)
    {
        foreach (var p in items) pieces = p.Split(pieces);
        return pieces;
    }
}

internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex, string file) : IPreTokenizer
{
    readonly CodePointRegex? regex = useRegex ? CodePointRegex.Create(PreTokenizers.Gpt2Pattern, file) : null;

    public List<NormalizedString> Split(List<NormalizedString> pieces)
    {
        var output = new List<NormalizedString>(pieces.Count * 4);
        foreach (var p0 in pieces)
        {
            var p = addPrefixSpace && !p0.Text.StartsWith(' ') ? p0.Prepend(" ") : p0;
            p.ByteLevel = true;
            if (regex == null) { output.Add(p); continue; }
            PreTokenizers.SplitByMatches(p, regex.Matches(p.Text), SplitBehavior.Isolated, false, output);
        }
        foreach (var p in output) p.ByteLevel = true;
        return output;
    }
}

internal sealed class SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public List<NormalizedString> Split(List<NormalizedString> pieces)
    {
        var output = new List<NormalizedString>(pieces.Count * 2);
        foreach (var p in pieces) PreTokenizers.SplitByMatches(p, pattern.Matches(p.Text).ToList(), behavior, invert, output);
        return output;
    }
}

/// <summary>Splits on single code points of a class (Digits: Rust char::is_numeric = Nd|Nl|No; Punctuation).</summary>
internal sealed class CharClassPreTokenizer : IPreTokenizer
{
    readonly Func<string, int, bool> test;
    readonly SplitBehavior behavior;

    public CharClassPreTokenizer(bool numeric, SplitBehavior behavior)
    {
        this.behavior = behavior;
        // Punctuation: Rust is_ascii_punctuation (which includes ASCII symbols) or Unicode punctuation.
        test = numeric ? IsNumeric : (s, i) => char.IsPunctuation(s, i) || (s[i] < 0x80 && char.IsSymbol(s, i));
    }

    static bool IsNumeric(string s, int i)
    {
        var c = s[i];
        if (c < 0x80) return c >= '0' && c <= '9';
        var cat = char.IsHighSurrogate(c) && i + 1 < s.Length ? CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, s[i + 1])) : CharUnicodeInfo.GetUnicodeCategory(c);
        return cat is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }

    public List<NormalizedString> Split(List<NormalizedString> pieces)
    {
        var output = new List<NormalizedString>(pieces.Count * 2);
        var matches = new List<(int, int)>();
        foreach (var p in pieces)
        {
            matches.Clear();
            var t = p.Text;
            for (int i = 0; i < t.Length; i++)
            {
                int len = char.IsHighSurrogate(t[i]) && i + 1 < t.Length && char.IsLowSurrogate(t[i + 1]) ? 2 : 1;
                if (test(t, i)) matches.Add((i, i + len));
                i += len - 1;
            }
            if (matches.Count == 0) output.Add(p);
            else PreTokenizers.SplitByMatches(p, matches, behavior, false, output);
        }
        return output;
    }
}

internal sealed class MetaspacePreTokenizer(string replacement, string prependScheme, bool split) : IPreTokenizer
{
    public List<NormalizedString> Split(List<NormalizedString> pieces)
    {
        var output = new List<NormalizedString>(pieces.Count * 4);
        for (int k = 0; k < pieces.Count; k++)
        {
            var p = pieces[k];
            if (p.Text.Contains(' ')) p = p.WithSameLengthText(p.Text.Replace(' ', replacement[0]));
            bool prepend = prependScheme == "always" || (prependScheme == "first" && k == 0 && p.StartOf(0) == 0);
            if (prepend && !p.Text.StartsWith(replacement, StringComparison.Ordinal)) p = p.Prepend(replacement);
            if (!split) { output.Add(p); continue; }
            var matches = new List<(int, int)>();
            for (int i = p.Text.IndexOf(replacement[0]); i >= 0; i = p.Text.IndexOf(replacement[0], i + 1)) matches.Add((i, i + 1));
            PreTokenizers.SplitByMatches(p, matches, SplitBehavior.MergedWithNext, false, output);
        }
        return output;
    }
}
