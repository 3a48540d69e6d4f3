// HF `tokenizers` BPE model: merges by rank, byte-level or byte-fallback symbols, unk fusing, a per-word cache.
// Reference: huggingface/tokenizers tokenizers/src/models/bpe/{model.rs,word.rs}.
using System.Text;

namespace SharpLens.Tokenization;

internal sealed class BpeModel : ITokenizerModel
{
    const int MaxCachedWordLength = 128;
    const int MaxCacheEntries = 200_000;

    readonly Dictionary<string, int> vocab;
    readonly string?[] idToToken;
    readonly PairTable merges;
    readonly int? unkId;
    readonly bool fuseUnk, byteFallback, ignoreMerges;
    readonly int[] byteLevelIds = new int[256];   // id of the alphabet char for each byte, -1 when absent
    readonly int[] fallbackIds = new int[256];    // id of "<0xXX>", -1 when absent
    readonly WordCache cache = new(MaxCacheEntries, MaxCachedWordLength), byteLevelCache = new(MaxCacheEntries, MaxCachedWordLength);
    readonly bool[] boundary = new bool[65536];   // BMP chars whose symbols take part in no merge (see Segments)

    /// <summary>
    /// A BPE model from a vocabulary and merges. <paramref name="addedTokens"/> is how many added tokens the file also
    /// declares: vocab ids must lie below vocab size + that count, so an absurd id cannot make the id table huge.
    /// </summary>
    public BpeModel(Dictionary<string, int> vocab, List<(string Left, string Right)> mergeList, string? unkToken,
        bool fuseUnk, bool byteFallback, bool ignoreMerges, string file, int addedTokens = 0)
    {
        this.vocab = vocab;
        this.fuseUnk = fuseUnk; this.byteFallback = byteFallback; this.ignoreMerges = ignoreMerges;
        int max = -1;
        long limit = (long)vocab.Count + addedTokens;
        foreach (var (token, id) in vocab)
        {
            if (id < 0 || id >= limit)
                throw new FormatException($"{file}: token '{token}' has id {id}; expected ids in [0, {limit}) (vocab size {vocab.Count} + {addedTokens} added tokens)");
            max = Math.Max(max, id);
        }
        idToToken = new string?[max + 1];
        foreach (var (token, id) in vocab) idToToken[id] = token;
        if (unkToken != null)
        {
            if (!vocab.TryGetValue(unkToken, out var u)) throw new FormatException($"{file}: unk_token '{unkToken}' is not in the vocab");
            unkId = u;
        }
        merges = new PairTable(mergeList.Count);
        for (int rank = 0; rank < mergeList.Count; rank++)
        {
            var (a, b) = mergeList[rank];
            if (!vocab.TryGetValue(a, out var ia) || !vocab.TryGetValue(b, out var ib))
                throw new FormatException($"{file}: merge #{rank} '{a} {b}' uses a token that is not in the vocab");
            if (!vocab.TryGetValue(a + b, out var merged))
                throw new FormatException($"{file}: merge #{rank} '{a} {b}' produces '{a + b}', which is not in the vocab");
            merges.TryAdd(ia, ib, rank, merged);   // HF keeps the first rank of a duplicated pair
        }
        for (int b = 0; b < 256; b++)
        {
            byteLevelIds[b] = vocab.TryGetValue(ByteLevelAlphabet.ToChar((byte)b).ToString(), out var i) ? i : -1;
            fallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out var j) ? j : -1;
        }
        var inMerges = merges.Members();
        Span<byte> buf = stackalloc byte[4];
        for (int c = 0; c < 65536; c++)
        {
            if (c >= 0xD800 && c <= 0xDFFF) continue;
            if (vocab.TryGetValue(((char)c).ToString(), out var id)) { boundary[c] = !inMerges.Contains(id); continue; }
            if (!byteFallback) continue;                      // an unk symbol may fuse with its neighbours
            int n = new Rune(c).EncodeToUtf8(buf);
            bool ok = true;
            for (int k = 0; k < n; k++) ok &= fallbackIds[buf[k]] >= 0 && !inMerges.Contains(fallbackIds[buf[k]]);
            boundary[c] = ok;
        }
    }

    public int Size => idToToken.Length;

    public string? IdToToken(int id) => id >= 0 && id < idToToken.Length ? idToToken[id] : null;

    public int? TokenToId(string token) => vocab.TryGetValue(token, out var id) ? id : null;


    struct RankRanker(PairTable merges) : IPairRanker
    {
        public bool TryRank(int leftId, int rightId, int leftStart, int mid, int rightEnd, out float priority, out int newId)
        {
            if (leftId >= 0 && rightId >= 0 && merges.TryGet(leftId, rightId, out var rank, out newId)) { priority = rank; return true; }
            priority = 0; newId = -1; return false;
        }
    }

    public void Tokenize(NormalizedString piece, TokenSink sink)
    {
        var word = piece.Text;
        if (word.Length == 0) return;
        if (!piece.ByteLevel && !ignoreMerges && word.Length > MaxCachedWordLength) { TokenizeSegments(piece, sink); return; }
        var c = piece.ByteLevel ? byteLevelCache : cache;
        if (!c.TryGet(word, out var triples))
        {
            triples = Compute(word, piece.ByteLevel);
            c.Add(word, triples);
        }
        for (int i = 0; i < triples.Length; i += 3)
        {
            var (s, e) = piece.OriginalSpan(triples[i + 1], triples[i + 2]);
            sink.Add(triples[i], s, e);
        }
    }

    /// <summary>
    /// A long word without pre-tokenization (Llama) is cut before and after every char whose symbol takes part in no
    /// merge rule (e.g. a newline, which Llama encodes as byte-fallback &lt;0x0A&gt;): no merge can cross such a char, so
    /// merging the segments separately gives exactly the same tokens, with small, cacheable words.
    /// </summary>
    void TokenizeSegments(NormalizedString piece, TokenSink sink)
    {
        var word = piece.Text;
        int start = 0;
        for (int i = 0; i <= word.Length; i++)
        {
            if (i < word.Length && !boundary[word[i]]) continue;
            if (i > start) TokenizeSlice(piece, start, i, sink);
            if (i < word.Length) TokenizeSlice(piece, i, i + 1, sink);
            start = i + 1;
        }
    }

    void TokenizeSlice(NormalizedString piece, int start, int end, TokenSink sink)
    {
        var word = piece.Text.Substring(start, end - start);
        if (!cache.TryGet(word, out var triples))
        {
            triples = Compute(word, false);
            cache.Add(word, triples);
        }
        for (int i = 0; i < triples.Length; i += 3)
        {
            var (s, e) = piece.OriginalSpan(start + triples[i + 1], start + triples[i + 2]);
            sink.Add(triples[i], s, e);
        }
    }

    [ThreadStatic] static SymbolList? symbolsTls;

    int[] Compute(string word, bool byteLevel)
    {
        if (ignoreMerges)
        {
            var whole = byteLevel ? ByteLevelAlphabet.Encode(System.Text.Encoding.UTF8.GetBytes(word)) : word;
            if (vocab.TryGetValue(whole, out var wid)) return [wid, 0, word.Length];
        }
        var symbols = symbolsTls ??= new SymbolList();
        symbols.Clear();
        if (byteLevel) AddByteLevelSymbols(word, symbols);
        else AddCharSymbols(word, symbols);
        var ranker = new RankRanker(merges);
        symbols.MergeAll(ref ranker);
        var result = new int[symbols.Count * 3];
        for (int i = 0; i < symbols.Count; i++)
        {
            result[3 * i] = symbols.Id[i]; result[3 * i + 1] = symbols.CharStart[i]; result[3 * i + 2] = symbols.CharEnd[i];
        }
        return result;
    }

    void AddByteLevelSymbols(string word, SymbolList symbols)
    {
        Span<byte> buf = stackalloc byte[4];
        int unit = 0;
        int pendingUnk = -1, unkStart = 0, unkCharStart = 0;   // a fused run of unknown bytes
        for (int i = 0; i < word.Length;)
        {
            int len = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            var rune = Rune.TryGetRuneAt(word, i, out var r) ? r : Rune.ReplacementChar;
            int n = rune.EncodeToUtf8(buf);
            for (int k = 0; k < n; k++, unit++)
            {
                int id = byteLevelIds[buf[k]];
                if (id >= 0)
                {
                    if (pendingUnk >= 0) { symbols.Add(pendingUnk, unkStart, unit, unkCharStart, i); pendingUnk = -1; }
                    symbols.Add(id, unit, unit + 1, i, i + len);
                }
                else pendingUnk = AddUnknown(symbols, pendingUnk, ref unkStart, ref unkCharStart, unit, unit + 1, i, i + len, word);
            }
            i += len;
        }
        if (pendingUnk >= 0) symbols.Add(pendingUnk, unkStart, unit, unkCharStart, word.Length);
    }

    void AddCharSymbols(string word, SymbolList symbols)
    {
        Span<byte> buf = stackalloc byte[4];
        int pendingUnk = -1, unkStart = 0, unkCharStart = 0;
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int i = 0; i < word.Length;)
        {
            int len = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            if (lookup.TryGetValue(word.AsSpan(i, len), out var id))
            {
                if (pendingUnk >= 0) { symbols.Add(pendingUnk, unkStart, 4 * i, unkCharStart, i); pendingUnk = -1; }
                symbols.Add(id, 4 * i, 4 * (i + len), i, i + len);
            }
            else
            {
                bool done = false;
                if (byteFallback)
                {
                    var rune = Rune.TryGetRuneAt(word, i, out var r) ? r : Rune.ReplacementChar;
                    int n = rune.EncodeToUtf8(buf);
                    done = true;
                    for (int k = 0; k < n; k++) if (fallbackIds[buf[k]] < 0) done = false;
                    if (done)
                    {
                        if (pendingUnk >= 0) { symbols.Add(pendingUnk, unkStart, 4 * i, unkCharStart, i); pendingUnk = -1; }
                        // Units are chars scaled by 4, so the byte symbols of one char get distinct unit ranges.
                        for (int k = 0; k < n; k++) symbols.Add(fallbackIds[buf[k]], 4 * i + k, 4 * i + k + 1, i, i + len);
                    }
                }
                if (!done) pendingUnk = AddUnknown(symbols, pendingUnk, ref unkStart, ref unkCharStart, 4 * i, 4 * (i + len), i, i + len, word);
            }
            i += len;
        }
        if (pendingUnk >= 0) symbols.Add(pendingUnk, unkStart, 4 * word.Length, unkCharStart, word.Length);
    }

    int AddUnknown(SymbolList symbols, int pendingUnk, ref int unkStart, ref int unkCharStart, int unitStart, int unitEnd, int charStart, int charEnd, string word)
    {
        if (unkId is not int unk)
            throw new InvalidOperationException($"BPE: '{word.Substring(charStart, charEnd - charStart)}' is not in the vocab and the model has no unk_token");
        if (pendingUnk >= 0 && fuseUnk) return pendingUnk;
        if (pendingUnk >= 0) symbols.Add(pendingUnk, unkStart, unitStart, unkCharStart, charStart);
        unkStart = unitStart; unkCharStart = charStart;
        return unk;
    }
}
