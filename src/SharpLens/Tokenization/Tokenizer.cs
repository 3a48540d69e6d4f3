// The public tokenizer: HF-exact encode with offsets, decode, batch encode; loads tokenizer.json, tokenizer.model or vocab.json+merges.txt.
namespace SharpLens.Tokenization;

/// <summary>
/// A tokenizer that reproduces Hugging Face <c>tokenizers</c> (tokenizer.json), sentencepiece (tokenizer.model) and
/// OpenAI's GPT-2 encoder (vocab.json + merges.txt) id for id, and reports character offsets for every token.
/// Input text with lone surrogates (invalid UTF-16) is treated as if each lone surrogate were U+FFFD, as Rust's
/// <c>String::from_utf16_lossy</c> does; offsets still index the caller's string, whose length is unchanged.
/// </summary>
public sealed class Tokenizer
{
    readonly TokenizerParts parts;

    internal Tokenizer(TokenizerParts parts) { this.parts = parts; }

    /// <summary>
    /// Loads from a model or tokenizer folder, preferring tokenizer.json, then tokenizer.model, then vocab.json +
    /// merges.txt (as transformers' fast tokenizers do); a path to one of those files loads that file.
    /// </summary>
    public static Tokenizer Load(string dir) => new(TokenizerLoader.Load(dir));

    /// <summary>Which file the tokenizer came from.</summary>
    public string Source => parts.Source;

    /// <summary>Vocabulary size including added tokens (max id + 1).</summary>
    public int VocabSize => parts.VocabSize;

    public int? BosId => parts.BosId;
    public int? EosId => parts.EosId;
    public int? PadId => parts.PadId;
    public int? UnkId => parts.UnkId;

    /// <summary>Whether <see cref="Encode"/> with addSpecialTokens prepends BOS.</summary>
    public bool AddBosToken => BosId is int b && parts.Template.Before.Contains(b);

    /// <summary>Whether <see cref="Encode"/> with addSpecialTokens appends EOS.</summary>
    public bool AddEosToken => EosId is int e && parts.Template.After.Contains(e);

    /// <summary>The added tokens (special or not) that are matched in text before the model runs.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => parts.Added.Tokens;

    public string? IdToToken(int id) => parts.IdToToken(id);

    public int? TokenToId(string token) => parts.TokenToId(token);

    /// <summary>
    /// Encodes <paramref name="text"/>. With <paramref name="addSpecialTokens"/> (the default, as transformers'
    /// <c>encode</c>), the post-processor's special tokens are added: BOS for Llama/CodeLlama, nothing for GPT-2,
    /// StarCoder and GPT-NeoX.
    /// </summary>
    public Encoding Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var input = ReplaceLoneSurrogates(text);
        var sink = new TokenSink();
        if (addSpecialTokens) foreach (var id in parts.Template.Before) sink.Add(id, 0, 0);
        foreach (var (token, s, e) in parts.Added.SplitRaw(input))
        {
            if (token != null) { sink.Add(token.Id, s, e); continue; }
            if (e <= s) continue;
            var ns = NormalizedString.FromOriginal(input, s, e);
            if (parts.Normalizer != null) ns = parts.Normalizer.Normalize(ns);
            foreach (var (t2, s2, e2) in parts.Added.SplitNormalized(ns.Text))
            {
                if (t2 != null) { var (os, oe) = ns.OriginalSpan(s2, e2); sink.Add(t2.Id, os, oe); continue; }
                if (e2 <= s2) continue;
                var piece = ns.Slice(s2, e2);
                if (parts.PreTokenizer == null) { parts.Model.Tokenize(piece, sink); continue; }
                foreach (var p in parts.PreTokenizer.Split([piece])) parts.Model.Tokenize(p, sink);
            }
        }
        int before = addSpecialTokens ? parts.Template.Before.Count : 0;
        int body = sink.Ids.Count;
        if (addSpecialTokens) foreach (var id in parts.Template.After) sink.Add(id, 0, 0);
        int n = sink.Ids.Count;
        var ids = sink.Ids.ToArray();
        var tokens = new string[n];
        var offsets = new (int, int)[n];
        var mask = new bool[n];
        for (int i = 0; i < n; i++)
        {
            tokens[i] = parts.IdToToken(ids[i]) ?? "";
            offsets[i] = (sink.Starts[i], sink.Ends[i]);
            mask[i] = i < before || i >= body;
        }
        return new Encoding(ids, tokens, offsets, mask);
    }

    /// <summary>Decodes ids to text as the original implementation does; unknown ids are an error.</summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (parts.SentencePiece != null) return parts.SentencePiece.Decode(ids, skipSpecialTokens);
        var tokens = new List<string>(ids.Count);
        foreach (var id in ids)
        {
            if (parts.AddedById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special)) tokens.Add(added.Content);
                continue;
            }
            tokens.Add(parts.Model.IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is not in the vocabulary (size {VocabSize})"));
        }
        if (parts.Decoder == null) return string.Join(" ", tokens);
        return string.Concat(parts.Decoder.DecodeChain(tokens));
    }

    /// <summary>
    /// Encodes a batch, truncates each row to <paramref name="maxLength"/> tokens (dropping tokens on
    /// <paramref name="truncationSide"/>), and pads every row to the longest row with <see cref="PadId"/> (or
    /// <paramref name="padId"/>) on <paramref name="paddingSide"/>.
    /// </summary>
    public BatchEncoding EncodeBatch(IReadOnlyList<string> texts, bool addSpecialTokens = true, int? maxLength = null,
        Side paddingSide = Side.Right, Side truncationSide = Side.Right, int? padId = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (maxLength is <= 0) throw new ArgumentOutOfRangeException(nameof(maxLength), $"expected a positive max length, found {maxLength}");
        var encodings = new Encoding[texts.Count];
        Parallel.For(0, texts.Count, i => encodings[i] = Truncate(Encode(texts[i], addSpecialTokens), maxLength, truncationSide));
        int width = encodings.Length == 0 ? 0 : encodings.Max(e => e.Count);
        int pad = padId ?? PadId ?? (encodings.Any(e => e.Count < width)
            ? throw new InvalidOperationException("padding needed but the tokenizer has no pad token; pass padId")
            : 0);
        var ids = new int[texts.Count][]; var mask = new int[texts.Count][]; var offs = new (int, int)[texts.Count][];
        for (int b = 0; b < texts.Count; b++)
        {
            var e = encodings[b];
            ids[b] = new int[width]; mask[b] = new int[width]; offs[b] = new (int, int)[width];
            int shift = paddingSide == Side.Left ? width - e.Count : 0;
            Array.Fill(ids[b], pad);
            for (int i = 0; i < e.Count; i++) { ids[b][i + shift] = e.Ids[i]; mask[b][i + shift] = 1; offs[b][i + shift] = e.Offsets[i]; }
        }
        return new BatchEncoding(ids, mask, offs, encodings);
    }

    static Encoding Truncate(Encoding e, int? maxLength, Side side)
    {
        if (maxLength is not int max || e.Count <= max) return e;
        int start = side == Side.Right ? 0 : e.Count - max;
        return new Encoding(e.Ids.Skip(start).Take(max).ToArray(), e.Tokens.Skip(start).Take(max).ToArray(),
            e.Offsets.Skip(start).Take(max).ToArray(), e.SpecialTokensMask.Skip(start).Take(max).ToArray());
    }

    static string ReplaceLoneSurrogates(string text)
    {
        int i = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return text;
        char[]? copy = null;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) (copy ??= text.ToCharArray())[i] = '\uFFFD';
        }
        return copy == null ? text : new string(copy);
    }
}
