// sentencepiece BPE (tokenizer.model): normalizer, score-ordered merges with byte fallback, and sentencepiece's decoder.
// Reference: google/sentencepiece src/{bpe_model.cc, normalizer.cc, sentencepiece_processor.cc}.
using System.Text;

namespace SharpLens.Tokenization;

/// <summary>sentencepiece's normalizer without a precompiled charsmap: dummy prefix, extra-whitespace removal, ▁ escaping.</summary>
internal sealed class SentencePieceNormalizer(SentencePieceProto proto) : INormalizer
{
    const char Space = '\u2581';

    public NormalizedString Normalize(NormalizedString input)
    {
        if (input.Length == 0) return input;
        char ws = proto.EscapeWhitespaces ? Space : ' ';
        var text = input.Text;
        if (!proto.RemoveExtraWhitespaces)
        {
            var escaped = proto.EscapeWhitespaces && text.Contains(' ') ? input.WithSameLengthText(text.Replace(' ', Space)) : input;
            return proto.AddDummyPrefix && !proto.TreatWhitespaceAsSuffix ? escaped.Prepend(ws.ToString()) : escaped;
        }
        var chunks = new List<(int, int, string)>();
        int i = 0;
        while (i < text.Length && text[i] == ' ') i++;
        if (i == text.Length) return input.Slice(0, 0);
        int end = text.Length;
        while (end > i && text[end - 1] == ' ') end--;
        var result = input.Slice(i, end);
        text = result.Text;
        int last = 0;
        for (int k = 0; k < text.Length; k++)
        {
            if (text[k] != ' ') continue;
            int r = k;
            while (r + 1 < text.Length && text[r + 1] == ' ') r++;
            if (k > last) chunks.Add((last, k, text.Substring(last, k - last)));
            chunks.Add((k, k + 1, ws.ToString()));
            if (r > k) chunks.Add((k + 1, r + 1, ""));
            last = r + 1; k = r;
        }
        if (last < text.Length) chunks.Add((last, text.Length, text.Substring(last)));
        result = result.Rebuild(chunks);
        return proto.AddDummyPrefix && !proto.TreatWhitespaceAsSuffix ? result.Prepend(ws.ToString()) : result;
    }
}

/// <summary>sentencepiece BPE: merges the adjacent pair whose merged piece has the highest score, leftmost on ties.</summary>
internal sealed class SentencePieceBpeModel : ITokenizerModel
{
    readonly SentencePieceProto proto;
    readonly Dictionary<string, int> mergeable = new();   // normal, user-defined and unused pieces
    readonly Dictionary<string, int> all = new();
    readonly int[] byteIds = new int[256];
    readonly List<string> userDefined = new();
    readonly bool[] boundary = new bool[65536];
    readonly WordCache cache = new(200_000, MaxCachedWordLength);
    const int MaxCachedWordLength = 128;

    public SentencePieceBpeModel(SentencePieceProto proto, string file)
    {
        if (proto.ModelType != 2)
            throw new NotSupportedException($"{file}: sentencepiece model type {proto.ModelType} ({(proto.ModelType == 1 ? "UNIGRAM" : proto.ModelType == 3 ? "WORD" : proto.ModelType == 4 ? "CHAR" : "unknown")}) is not supported; only BPE (2) is");
        if (proto.PrecompiledCharsmapLength > 0)
            throw new NotSupportedException($"{file}: sentencepiece normalizer '{proto.NormalizerName}' with a precompiled charsmap is not supported (only 'identity')");
        this.proto = proto;
        Array.Fill(byteIds, -1);
        for (int id = 0; id < proto.Pieces.Count; id++)
        {
            var p = proto.Pieces[id];
            all.TryAdd(p.Piece, id);
            if (p.Type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused) mergeable.TryAdd(p.Piece, id);
            if (p.Type == PieceType.UserDefined) userDefined.Add(p.Piece);
            if (p.Type == PieceType.Byte && p.Piece.Length == 6 && p.Piece.StartsWith("<0x") && p.Piece.EndsWith('>'))
                byteIds[Convert.ToInt32(p.Piece.Substring(3, 2), 16)] = id;
        }
        userDefined.Sort((a, b) => b.Length.CompareTo(a.Length));
        var inLongPiece = new bool[65536];
        foreach (var p in mergeable.Keys) if (p.Length > 1) foreach (var ch in p) inLongPiece[ch] = true;
        Span<byte> buf = stackalloc byte[4];
        for (int c = 0; c < 65536; c++)
        {
            if (inLongPiece[c] || (c >= 0xD800 && c <= 0xDFFF)) continue;
            if (mergeable.ContainsKey(((char)c).ToString())) { boundary[c] = true; continue; }
            if (!proto.ByteFallback) continue;                 // unknown chars fuse into one unk
            int n = new Rune(c).EncodeToUtf8(buf);
            bool ok = true;
            for (int k = 0; k < n; k++) ok &= byteIds[buf[k]] >= 0;
            boundary[c] = ok;
        }
    }

    public int Size => proto.Pieces.Count;
    public string? IdToToken(int id) => id >= 0 && id < proto.Pieces.Count ? proto.Pieces[id].Piece : null;
    public int? TokenToId(string token) => all.TryGetValue(token, out var id) ? id : null;
    public PieceType TypeOf(int id) => proto.Pieces[id].Type;

    struct ScoreRanker(string text, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup, SentencePieceProto proto) : IPairRanker
    {
        public bool TryRank(int leftId, int rightId, int leftStart, int mid, int rightEnd, out float priority, out int newId)
        {
            priority = 0; newId = -1;
            if (leftId >= 0 && proto.Pieces[leftId].Type == PieceType.UserDefined) return false;
            if (rightId >= 0 && proto.Pieces[rightId].Type == PieceType.UserDefined) return false;
            if (!lookup.TryGetValue(text.AsSpan(leftStart, rightEnd - leftStart), out newId)) return false;
            priority = -proto.Pieces[newId].Score;
            return true;
        }
    }

    public void Tokenize(NormalizedString piece, TokenSink sink)
    {
        var text = piece.Text;
        if (text.Length == 0) return;
        if (userDefined.Count > 0 || text.Length <= MaxCachedWordLength) { Emit(piece, 0, text, sink); return; }
        // As in BpeModel.TokenizeSegments: no merge can cross a char that occurs in no multi-char piece.
        int start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && !boundary[text[i]]) continue;
            if (i > start) Emit(piece, start, text.Substring(start, i - start), sink);
            if (i < text.Length) Emit(piece, i, text.Substring(i, 1), sink);
            start = i + 1;
        }
    }

    void Emit(NormalizedString piece, int offset, string word, TokenSink sink)
    {
        if (!cache.TryGet(word, out var triples))
        {
            triples = Compute(word);
            cache.Add(word, triples);
        }
        for (int i = 0; i < triples.Length; i += 3)
        {
            var (s, e) = piece.OriginalSpan(offset + triples[i + 1], offset + triples[i + 2]);
            sink.Add(triples[i], s, e);
        }
    }

    [ThreadStatic] static SymbolList? symbolsTls;

    /// <summary>Tokens of one word as (id, char start, char end) triples in the word's coordinates.</summary>
    int[] Compute(string text)
    {
        var lookup = mergeable.GetAlternateLookup<ReadOnlySpan<char>>();
        var symbols = symbolsTls ??= new SymbolList();
        symbols.Clear();
        for (int i = 0; i < text.Length;)
        {
            int len = 0;
            foreach (var u in userDefined) if (string.CompareOrdinal(text, i, u, 0, u.Length) == 0) { len = u.Length; break; }
            if (len == 0) len = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            symbols.Add(lookup.TryGetValue(text.AsSpan(i, len), out var id) ? id : -1, i, i + len, i, i + len);
            i += len;
        }
        var ranker = new ScoreRanker(text, lookup, proto);
        symbols.MergeAll(ref ranker);

        var output = new List<int>(symbols.Count * 3);
        bool prevUnk = false;
        for (int k = 0; k < symbols.Count; k++)
        {
            int s = symbols.UnitStart[k], e = symbols.UnitEnd[k], id = symbols.Id[k];
            if (id >= 0 && proto.Pieces[id].Type == PieceType.Unused) { Resegment(text, s, e, output, lookup); prevUnk = false; continue; }
            if (id >= 0) { output.AddRange([id, s, e]); prevUnk = false; continue; }
            if (proto.ByteFallback && TryBytes(text, s, e, output)) { prevUnk = false; continue; }
            if (prevUnk) output[^1] = e;                       // sentencepiece merges a run of unknown pieces
            else output.AddRange([proto.UnkId, s, e]);
            prevUnk = true;
        }
        return output.ToArray();
    }

    bool TryBytes(string text, int s, int e, List<int> output)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text.Substring(s, e - s));
        foreach (var b in bytes) if (byteIds[b] < 0) return false;
        Span<byte> buf = stackalloc byte[4];
        for (int i = s; i < e;)
        {
            int len = char.IsHighSurrogate(text[i]) && i + 1 < e && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            int n = (Rune.TryGetRuneAt(text, i, out var r) ? r : Rune.ReplacementChar).EncodeToUtf8(buf);
            for (int k = 0; k < n; k++) output.AddRange([byteIds[buf[k]], i, i + len]);
            i += len;
        }
        return true;
    }

    // An unused piece is never emitted: split it back into two pieces it can be made of (bpe_model.cc resegment).
    void Resegment(string text, int s, int e, List<int> output, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup)
    {
        for (int mid = s + 1; mid < e; mid++)
        {
            if (lookup.TryGetValue(text.AsSpan(s, mid - s), out var left) && lookup.TryGetValue(text.AsSpan(mid, e - mid), out var right))
            {
                if (proto.Pieces[left].Type == PieceType.Unused) Resegment(text, s, mid, output, lookup); else output.AddRange([left, s, mid]);
                if (proto.Pieces[right].Type == PieceType.Unused) Resegment(text, mid, e, output, lookup); else output.AddRange([right, mid, e]);
                return;
            }
        }
        output.AddRange([all[text.Substring(s, e - s)], s, e]);
    }

    /// <summary>sentencepiece's DecodeIds: control pieces vanish, unknown pieces show the unk surface, byte pieces are
    /// decoded per character (an invalid byte becomes U+FFFD), ▁ becomes a space and the dummy-prefix space is dropped.</summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecial)
    {
        var sb = new StringBuilder();
        var bytes = new List<byte>();
        bool atStart = true;   // only the first visible piece loses its dummy-prefix ▁ (control pieces do not count)
        foreach (var id in ids)
        {
            if (id < 0 || id >= proto.Pieces.Count) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is outside the vocabulary [0, {proto.Pieces.Count})");
            var p = proto.Pieces[id];
            if (p.Type == PieceType.Byte) { bytes.Add((byte)Convert.ToInt32(p.Piece.Substring(3, 2), 16)); continue; }
            if (bytes.Count > 0) { FlushBytes(bytes, sb); atStart = false; }
            if (p.Type == PieceType.Control) continue;
            if (p.Type == PieceType.Unknown) { if (!skipSpecial) sb.Append(proto.UnkSurface); atStart = false; continue; }
            var piece = p.Piece;
            bool first = atStart;
            atStart = false;
            if (first && (proto.AddDummyPrefix || proto.RemoveExtraWhitespaces) && piece.StartsWith('\u2581')) piece = piece[1..];
            sb.Append(piece.Replace('\u2581', ' '));
        }
        FlushBytes(bytes, sb);
        return sb.ToString();
    }

    static void FlushBytes(List<byte> bytes, StringBuilder sb)
    {
        if (bytes.Count == 0) return;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        while (span.Length > 0)
        {
            if (Rune.DecodeFromUtf8(span, out var rune, out int consumed) == System.Buffers.OperationStatus.Done)
            {
                sb.Append(rune.ToString());
                span = span[consumed..];
            }
            else { sb.Append('\uFFFD'); span = span[1..]; }
        }
        bytes.Clear();
    }
}
