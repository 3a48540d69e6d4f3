// The result of encoding: ids, token strings and character offsets; and the padded batch form.
namespace SharpLens.Tokenization;

/// <summary>
/// One encoded text. <see cref="Offsets"/>[i] is the [Start, End) range of UTF-16 indices of the input that token i
/// covers. Rules: a byte-level or byte-fallback token that holds only some bytes of a character gets the span of the
/// whole character (so neighbouring tokens may share that character's span); a token made only of inserted text
/// (sentencepiece's dummy-prefix <c>▁</c>, a ByteLevel prefix space) gets an empty span at the position of the text
/// that follows it; special tokens added by the post-processor get (0, 0). Offsets are never trimmed of the spaces a
/// token holds (HF's ByteLevel trim_offsets is not applied), so the covered spans, taken in order with shared
/// characters counted once, reproduce the input exactly.
/// </summary>
public sealed class Encoding
{
    internal Encoding(int[] ids, string[] tokens, (int Start, int End)[] offsets, bool[] special)
    {
        Ids = ids; Tokens = tokens; Offsets = offsets; SpecialTokensMask = special;
    }

    public IReadOnlyList<int> Ids { get; }
    public IReadOnlyList<string> Tokens { get; }
    public IReadOnlyList<(int Start, int End)> Offsets { get; }

    /// <summary>True for tokens the post-processor added (BOS/EOS), false for tokens of the text.</summary>
    public IReadOnlyList<bool> SpecialTokensMask { get; }

    public int Count => Ids.Count;
}

/// <summary>Which side padding (and truncation) applies to.</summary>
public enum Side { Left, Right }

/// <summary>A padded batch: every row has the same length; padding positions have attention mask 0 and offset (0, 0).</summary>
public sealed class BatchEncoding
{
    internal BatchEncoding(int[][] ids, int[][] mask, (int, int)[][] offsets, IReadOnlyList<Encoding> encodings)
    {
        Ids = ids; AttentionMask = mask; Offsets = offsets; Encodings = encodings;
    }

    /// <summary>[batch][pos] token ids.</summary>
    public int[][] Ids { get; }

    /// <summary>[batch][pos] 1 for real tokens, 0 for padding.</summary>
    public int[][] AttentionMask { get; }

    /// <summary>[batch][pos] character offsets; (0, 0) for padding.</summary>
    public (int Start, int End)[][] Offsets { get; }

    /// <summary>The unpadded (but truncated) encodings.</summary>
    public IReadOnlyList<Encoding> Encodings { get; }
}
