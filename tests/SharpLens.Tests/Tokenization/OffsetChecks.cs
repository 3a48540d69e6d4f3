// The offset contract of Encoding, checked: in order, within the text, and covering every char exactly once.
using SharpLens.Tokenization;

namespace SharpLens.Tests.Tokenization;

public static class OffsetChecks
{
    /// <summary>Null when the offsets of a text-only encoding tile the text; otherwise what is wrong.</summary>
    /// <remarks>Tokens may share one character (byte pieces of it) and may be empty (an inserted ▁ prefix), so the
    /// rule is: each token starts where the previous one ended, or, sharing a character, at the previous start with
    /// the same end; the last token ends at the end of the text.</remarks>
    public static string? Check(string text, Encoding e)
    {
        int covered = 0, prevStart = 0;
        for (int i = 0; i < e.Count; i++)
        {
            var (s, end) = e.Offsets[i];
            if (s < 0 || end > text.Length || end < s) return $"token {i} {FixtureCases.Show(e.Tokens[i])} has span ({s},{end}) outside [0,{text.Length}]";
            bool continues = s == covered;
            bool shares = i > 0 && s == prevStart && end == covered && end > s;
            if (!continues && !shares) return $"token {i} {FixtureCases.Show(e.Tokens[i])} span ({s},{end}) does not continue at {covered}";
            covered = Math.Max(covered, end);
            prevStart = s;
        }
        return covered == text.Length ? null : $"tokens cover [0,{covered}) of {text.Length} chars";
    }
}
