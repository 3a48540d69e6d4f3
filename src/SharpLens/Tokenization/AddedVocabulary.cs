// HF added tokens: matched in the text before the model, leftmost-longest, with lstrip/rstrip/single_word rules.
// Reference: huggingface/tokenizers tokenizers/src/tokenizer/added_vocabulary.rs (find_matches, extract_and_normalize).
namespace SharpLens.Tokenization;

/// <summary>An added token as tokenizer.json's `added_tokens` lists it.</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LStrip, bool RStrip, bool SingleWord);

internal sealed class AddedVocabulary
{
    readonly Matcher raw;          // tokens with normalized = false: matched on the original text
    readonly Matcher normalized;   // tokens with normalized = true: matched on each normalized segment

    public IReadOnlyList<AddedToken> Tokens { get; }

    public AddedVocabulary(IReadOnlyList<AddedToken> tokens, INormalizer? normalizer)
    {
        Tokens = tokens;
        raw = new Matcher(tokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        normalized = new Matcher(tokens.Where(t => t.Normalized).Select(t =>
            (normalizer == null ? t.Content : normalizer.Normalize(NormalizedString.FromOriginal(t.Content, 0, t.Content.Length)).Text, t)));
    }

    public bool IsEmpty => Tokens.Count == 0;

    /// <summary>Splits the text into (token or null, start, end) parts in its own coordinates.</summary>
    public List<(AddedToken? Token, int Start, int End)> SplitRaw(string text) => raw.Split(text);

    public List<(AddedToken? Token, int Start, int End)> SplitNormalized(string text) => normalized.Split(text);

    sealed class Matcher
    {
        readonly Dictionary<char, List<(string Pattern, AddedToken Token)>> byFirst = new();

        public Matcher(IEnumerable<(string Pattern, AddedToken Token)> items)
        {
            foreach (var (p, t) in items)
            {
                if (p.Length == 0) continue;
                if (!byFirst.TryGetValue(p[0], out var list)) byFirst[p[0]] = list = new();
                list.Add((p, t));
            }
            foreach (var list in byFirst.Values) list.Sort((a, b) => b.Pattern.Length.CompareTo(a.Pattern.Length));
        }

        public List<(AddedToken?, int, int)> Split(string text)
        {
            var result = new List<(AddedToken?, int, int)>();
            if (byFirst.Count == 0) { result.Add((null, 0, text.Length)); return result; }
            int startOffset = 0;
            for (int i = 0; i < text.Length;)
            {
                if (!byFirst.TryGetValue(text[i], out var candidates)) { i++; continue; }
                (string Pattern, AddedToken Token)? hit = null;
                foreach (var c in candidates)
                    if (string.CompareOrdinal(text, i, c.Pattern, 0, c.Pattern.Length) == 0) { hit = c; break; }
                if (hit is not { } h) { i++; continue; }
                int start = i, stop = i + h.Pattern.Length;
                var t = h.Token;
                // HF's aho-corasick iterator moves past a match even when single_word rejects it.
                i = stop;
                if (t.SingleWord)
                {
                    bool startOk = start == 0 || !IsWordChar(text, start - 1, before: true);
                    bool stopOk = stop == text.Length || !IsWordChar(text, stop, before: false);
                    if (!startOk || !stopOk) continue;
                }
                if (t.LStrip) { int s = start; while (s > 0 && char.IsWhiteSpace(text[s - 1])) s--; start = Math.Max(s, startOffset); }
                if (t.RStrip) while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
                if (start > startOffset) result.Add((null, startOffset, start));
                result.Add((t, start, stop));
                startOffset = stop;
                i = stop;
            }
            if (startOffset < text.Length) result.Add((null, startOffset, text.Length));
            return result;
        }

        static bool IsWordChar(string text, int i, bool before)
        {
            if (before && char.IsLowSurrogate(text[i]) && i > 0) return char.IsLetterOrDigit(text, i - 1);
            return char.IsLetterOrDigit(text, i) || text[i] == '_';
        }
    }
}
