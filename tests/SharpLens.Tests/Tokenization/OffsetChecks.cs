// The offset contract of Encoding, checked: in order, within the text, and covering every char exactly once.
using SharpLens.Tokenization;

namespace SharpLens.Tests.Tokenization;

public static class OffsetChecks
{
    /// <summary>Null when the offsets of a text-only encoding tile the text; otherwise what is wrong.</summary>
    /// <remarks>Tokens may share one character (byte pieces of it) and may be empty (an inserted ▁ prefix), so the
    /// rule is: each token starts where the previous one ended, or inside the previous token's last character (one
    /// code point), which both then cover; the last token ends at the end of the text.</remarks>
    public static string? Check(string text, Encoding e)
    {
        int covered = 0;
        for (int i = 0; i < e.Count; i++)
        {
            var (s, end) = e.Offsets[i];
            if (s < 0 || end > text.Length || end < s) return $"token {i} {FixtureCases.Show(e.Tokens[i])} has span ({s},{end}) outside [0,{text.Length}]";
            bool continues = s == covered;
            int overlap = covered - s;
            bool shares = end > s && end >= covered && (overlap == 1 && !char.IsSurrogate(text[s]) ||
                overlap == 2 && char.IsHighSurrogate(text[s]) && char.IsLowSurrogate(text[s + 1]));
            if (!continues && !shares) return $"token {i} {FixtureCases.Show(e.Tokens[i])} span ({s},{end}) does not continue at {covered}";
            covered = Math.Max(covered, end);
        }
        return covered == text.Length ? null : $"tokens cover [0,{covered}) of {text.Length} chars";
    }
}
