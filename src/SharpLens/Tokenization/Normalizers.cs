// HF `tokenizers` normalizers (Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD, Strip, Lowercase) with offset tracking.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SharpLens.Tokenization;

internal interface INormalizer
{
    NormalizedString Normalize(NormalizedString input);
}

internal static class Normalizers
{
    /// <summary>Builds the normalizer described by a tokenizer.json `normalizer` object (null when the JSON is null).</summary>
    public static INormalizer? FromJson(JsonElement e, string file)
    {
        if (e.ValueKind == JsonValueKind.Null || e.ValueKind == JsonValueKind.Undefined) return null;
        var type = Json.Type(e, "normalizer", file);
        switch (type)
        {
            case "Sequence":
                var list = new List<INormalizer>();
                foreach (var n in Json.Array(e, "normalizers", file)) { var x = FromJson(n, file); if (x != null) list.Add(x); }
                return new SequenceNormalizer(list);
            case "Prepend": return new PrependNormalizer(Json.String(e, "prepend", file));
            case "Replace": return new ReplaceNormalizer(Pattern.FromJson(Json.Get(e, "pattern", file), file), Json.String(e, "content", file));
            case "NFC": return new UnicodeNormalizer(NormalizationForm.FormC);
            case "NFD": return new UnicodeNormalizer(NormalizationForm.FormD);
            case "NFKC": return new UnicodeNormalizer(NormalizationForm.FormKC);
            case "NFKD": return new UnicodeNormalizer(NormalizationForm.FormKD);
            case "Strip":
                return new StripNormalizer(Json.Bool(e, "strip_left", false), Json.Bool(e, "strip_right", false));
            case "Lowercase": return new LowercaseNormalizer();
            default:
                throw new NotSupportedException($"{file}: normalizer type '{type}' is not supported " +
                    "(supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Strip, Lowercase)");
        }
    }
}

internal sealed class SequenceNormalizer(List<INormalizer> items) : INormalizer
{
    public NormalizedString Normalize(NormalizedString input)
    {
        foreach (var n in items) input = n.Normalize(input);
        return input;
    }
}

internal sealed class PrependNormalizer(string prefix) : INormalizer
{
    // HF prepends only to non-empty strings.
    public NormalizedString Normalize(NormalizedString input) => input.Length == 0 ? input : input.Prepend(prefix);
}

internal sealed class ReplaceNormalizer(Pattern pattern, string content) : INormalizer
{
    public NormalizedString Normalize(NormalizedString input)
    {
        var text = input.Text;
        if (pattern.Literal is { Length: 1 } lit && content.Length == 1)
            return text.Contains(lit[0]) ? input.WithSameLengthText(text.Replace(lit[0], content[0])) : input;
        var chunks = new List<(int, int, string)>();
        int last = 0;
        foreach (var (s, e) in pattern.Matches(text))
        {
            if (s > last) chunks.Add((last, s, text.Substring(last, s - last)));
            chunks.Add((s, e, content));
            last = e;
        }
        if (chunks.Count == 0) return input;
        if (last < text.Length) chunks.Add((last, text.Length, text.Substring(last)));
        return input.Rebuild(chunks);
    }
}

internal sealed class UnicodeNormalizer(NormalizationForm form) : INormalizer
{
    public NormalizedString Normalize(NormalizedString input)
    {
        var text = input.Text;
        if (UnicodeNormalization.IsNormalized(text, form)) return input;
        // Normalize chunk by chunk, cutting before every char that cannot combine with what precedes it, so that
        // unchanged text keeps a per-char alignment and a changed chunk maps to the span of its source chars.
        var chunks = new List<(int, int, string)>();
        int start = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i < text.Length && !StartsChunk(text, i)) continue;
            var piece = text.Substring(start, i - start);
            chunks.Add((start, i, UnicodeNormalization.IsNormalized(piece, form) ? piece : UnicodeNormalization.Normalize(piece, form)));
            start = i;
        }
        return input.Rebuild(chunks);
    }

    static bool StartsChunk(string text, int i)
    {
        char c = text[i];
        if (c < 0x80) return true;
        if (char.IsLowSurrogate(c)) return false;
        if (c >= 0x1160 && c <= 0x11FF) return false;            // Hangul medial vowels / final consonants compose
        var cat = char.IsHighSurrogate(c) && i + 1 < text.Length
            ? CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1]))
            : CharUnicodeInfo.GetUnicodeCategory(c);
        return cat is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark);
    }
}

internal sealed class StripNormalizer(bool left, bool right) : INormalizer
{
    public NormalizedString Normalize(NormalizedString input)
    {
        var t = input.Text;
        int s = 0, e = t.Length;
        if (left) while (s < e && char.IsWhiteSpace(t[s])) s++;
        if (right) while (e > s && char.IsWhiteSpace(t[e - 1])) e--;
        return input.Slice(s, e);
    }
}

internal sealed class LowercaseNormalizer : INormalizer
{
    public NormalizedString Normalize(NormalizedString input) => input.WithSameLengthText(input.Text.ToLowerInvariant());
}

/// <summary>A tokenizer.json pattern: {"String": literal} or {"Regex": pattern}.</summary>
internal sealed class Pattern
{
    public string? Literal { get; private init; }
    public CodePointRegex? Regex { get; private init; }

    public static Pattern FromJson(JsonElement e, string file)
    {
        if (e.ValueKind == JsonValueKind.String) return new Pattern { Literal = e.GetString()! };
        if (e.TryGetProperty("String", out var s)) return new Pattern { Literal = s.GetString() ?? "" };
        if (e.TryGetProperty("Regex", out var r)) return new Pattern { Regex = CodePointRegex.Create(r.GetString() ?? "", file) };
        throw new FormatException($"{file}: expected a pattern object with 'String' or 'Regex', found {e.GetRawText()}");
    }

    public static Pattern FromRegex(string regex, string file) => new() { Regex = CodePointRegex.Create(regex, file) };

    /// <summary>Non-overlapping, non-empty matches, left to right.</summary>
    public IEnumerable<(int Start, int End)> Matches(string text)
    {
        if (Regex != null) { foreach (var m in Regex.Matches(text)) yield return m; yield break; }
        if (string.IsNullOrEmpty(Literal)) yield break;
        int i = 0;
        while ((i = text.IndexOf(Literal, i, StringComparison.Ordinal)) >= 0) { yield return (i, i + Literal.Length); i += Literal.Length; }
    }
}
