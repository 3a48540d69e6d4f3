// A piece of (possibly normalized) text that remembers, per UTF-16 char, which span of the original input it came from.
namespace SharpLens.Tokenization;

/// <summary>
/// Text plus an alignment to the original input. Char <c>i</c> of <see cref="Text"/> came from original chars
/// <c>[StartOf(i), EndOf(i))</c>. Inserted chars (a dummy-prefix <c>▁</c>, a prefix space) have an empty span at the
/// position of the char that follows them. The common case (a plain slice of the input, possibly after a few chars
/// were prepended) keeps no arrays, so 10 MB inputs stay cheap.
/// </summary>
internal sealed class NormalizedString
{
    readonly int[]? starts;
    readonly int[]? ends;
    readonly int baseOffset;   // identity alignment: char i -> baseOffset + i - inserted (for i >= inserted)
    readonly int inserted;     // identity alignment: number of leading inserted chars

    public string Text { get; }

    /// <summary>Set by the ByteLevel pre-tokenizer: the model must map the UTF-8 bytes of Text to the GPT-2 alphabet.</summary>
    public bool ByteLevel { get; set; }

    public int Length => Text.Length;

    NormalizedString(string text, int baseOffset, int inserted, int[]? starts, int[]? ends, bool byteLevel)
    {
        Text = text; this.baseOffset = baseOffset; this.inserted = inserted; this.starts = starts; this.ends = ends; ByteLevel = byteLevel;
    }

    /// <summary>The slice [start, end) of the original input, identity-aligned.</summary>
    public static NormalizedString FromOriginal(string original, int start, int end) =>
        new(original.Substring(start, end - start), start, 0, null, null, false);

    public int StartOf(int i)
    {
        if (starts != null) return starts[i];
        return i < inserted ? baseOffset : baseOffset + i - inserted;
    }

    public int EndOf(int i)
    {
        if (ends != null) return ends[i];
        return i < inserted ? baseOffset : baseOffset + i - inserted + 1;
    }

    /// <summary>Original span covered by chars [start, end) of Text; an empty range maps to an empty span.</summary>
    public (int Start, int End) OriginalSpan(int start, int end)
    {
        if (end <= start) { var p = start < Length ? StartOf(start) : (Length > 0 ? EndOf(Length - 1) : baseOffset); return (p, p); }
        int s = StartOf(start), e = EndOf(end - 1);
        return (s, Math.Max(s, e));
    }

    public NormalizedString Slice(int start, int end)
    {
        if (start == 0 && end == Length) return this;
        var text = Text.Substring(start, end - start);
        if (starts == null)
        {
            if (start >= inserted) return new(text, baseOffset + start - inserted, 0, null, null, ByteLevel);
            return new(text, baseOffset, inserted - start, null, null, ByteLevel);
        }
        return new(text, 0, 0, starts.AsSpan(start, end - start).ToArray(), ends!.AsSpan(start, end - start).ToArray(), ByteLevel);
    }

    /// <summary>Prepends inserted text (empty original span). Callers skip this for empty strings, as HF does.</summary>
    public NormalizedString Prepend(string prefix)
    {
        if (prefix.Length == 0) return this;
        if (starts == null) return new(prefix + Text, baseOffset, inserted + prefix.Length, null, null, ByteLevel);
        int p = Length > 0 ? starts[0] : 0;
        var s = new int[Length + prefix.Length]; var e = new int[s.Length];
        for (int i = 0; i < prefix.Length; i++) { s[i] = p; e[i] = p; }
        starts.CopyTo(s, prefix.Length); ends!.CopyTo(e, prefix.Length);
        return new(prefix + Text, 0, 0, s, e, ByteLevel);
    }

    /// <summary>Same alignment, new text of the same length (char-for-char replacement).</summary>
    public NormalizedString WithSameLengthText(string text)
    {
        if (text.Length != Length) throw new ArgumentException($"expected text of length {Length}, found {text.Length}");
        return new(text, baseOffset, inserted, starts, ends, ByteLevel);
    }

    /// <summary>Builds a new string from chunks: each chunk is (source range [s,e) of this Text, replacement text).
    /// Every char of a replacement gets the whole original span of its source range (identity when unchanged).</summary>
    public NormalizedString Rebuild(List<(int Start, int End, string Replacement)> chunks)
    {
        var sb = new System.Text.StringBuilder(Length);
        var ns = new List<int>(Length); var ne = new List<int>(Length);
        foreach (var (s, e, rep) in chunks)
        {
            bool same = e - s == rep.Length && string.CompareOrdinal(Text, s, rep, 0, rep.Length) == 0;
            if (same)
            {
                for (int i = s; i < e; i++) { ns.Add(StartOf(i)); ne.Add(EndOf(i)); }
            }
            else
            {
                var (os, oe) = OriginalSpan(s, e);
                for (int i = 0; i < rep.Length; i++) { ns.Add(os); ne.Add(oe); }
            }
            sb.Append(rep);
        }
        return new(sb.ToString(), 0, 0, ns.ToArray(), ne.ToArray(), ByteLevel);
    }
}
