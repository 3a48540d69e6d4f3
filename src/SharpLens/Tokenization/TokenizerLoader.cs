// Builds the tokenizer pipeline from a folder: tokenizer.json, tokenizer.model or vocab.json + merges.txt, plus the
// transformers config files (tokenizer_config.json, special_tokens_map.json) for BOS/EOS/PAD/UNK and add_bos_token.
using System.Text.Json;

namespace SharpLens.Tokenization;

internal sealed class TokenizerParts
{
    public required ITokenizerModel Model { get; init; }
    public INormalizer? Normalizer { get; init; }
    public IPreTokenizer? PreTokenizer { get; init; }
    public required AddedVocabulary Added { get; init; }
    public required SingleTemplate Template { get; set; }
    public IDecoder? Decoder { get; init; }
    public SentencePieceBpeModel? SentencePiece { get; init; }
    public required string Source { get; init; }
    public int? BosId { get; set; }
    public int? EosId { get; set; }
    public int? PadId { get; set; }
    public int? UnkId { get; set; }

    public Dictionary<int, AddedToken> AddedById { get; } = new();
    readonly Dictionary<string, int> addedByContent = new();

    public void IndexAdded()
    {
        foreach (var t in Added.Tokens) { AddedById[t.Id] = t; addedByContent.TryAdd(t.Content, t.Id); }
    }

    public int VocabSize => Math.Max(Model.Size, AddedById.Count == 0 ? 0 : AddedById.Keys.Max() + 1);

    public string? IdToToken(int id) => AddedById.TryGetValue(id, out var t) ? t.Content : Model.IdToToken(id);

    public int? TokenToId(string token) => addedByContent.TryGetValue(token, out var id) ? id : Model.TokenToId(token);
}

internal static class TokenizerLoader
{
    public static TokenizerParts Load(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        string? chosen = null;
        if (File.Exists(dir) && Path.GetFileName(dir) is "tokenizer.json" or "tokenizer.model" or "vocab.json")
        {
            chosen = Path.GetFileName(dir);
            dir = Path.GetDirectoryName(Path.GetFullPath(dir))!;
        }
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"tokenizer folder not found: {dir}");
        using var config = OptionalJson(Path.Combine(dir, "tokenizer_config.json"));
        using var specialMap = OptionalJson(Path.Combine(dir, "special_tokens_map.json"));
        var cfg = config?.RootElement;
        var json = Path.Combine(dir, "tokenizer.json");
        var model = Path.Combine(dir, "tokenizer.model");
        var vocab = Path.Combine(dir, "vocab.json");
        var merges = Path.Combine(dir, "merges.txt");
        TokenizerParts parts;
        if (File.Exists(json) && chosen is null or "tokenizer.json") parts = FromTokenizerJson(json);
        else if (File.Exists(model) && chosen is null or "tokenizer.model") parts = FromSentencePiece(model, cfg);
        else if (File.Exists(vocab) && File.Exists(merges)) parts = FromVocabMerges(vocab, merges, cfg);
        else
        {
            var found = string.Join(", ", Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order().Take(20));
            throw new FileNotFoundException($"{dir}: expected tokenizer.json, tokenizer.model or vocab.json + merges.txt; found: {(found.Length == 0 ? "nothing" : found)}");
        }
        parts.IndexAdded();
        ApplySpecialTokens(parts, cfg, specialMap?.RootElement);
        return parts;
    }

    static JsonDocument? OptionalJson(string path) => File.Exists(path) ? Json.Parse(path) : null;

    static TokenizerParts FromTokenizerJson(string file)
    {
        using var doc = Json.Parse(file);
        var root = doc.RootElement;
        var m = Json.Get(root, "model", file);
        var type = m.TryGetProperty("type", out var t) ? t.GetString() : (m.TryGetProperty("merges", out _) ? "BPE" : null);
        if (type != "BPE")
            throw new NotSupportedException($"{file}: model type '{type ?? "(none)"}' is not supported; only BPE is");
        if (Json.Optional(m, "dropout") is { ValueKind: JsonValueKind.Number } d && d.GetDouble() > 0)
            throw new NotSupportedException($"{file}: BPE dropout {d.GetDouble()} is not supported (encoding would be random)");
        foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (Json.OptionalString(m, key) is { Length: > 0 } v)
                throw new NotSupportedException($"{file}: BPE {key} '{v}' is not supported");
        var vocabMap = ReadVocab(Json.Get(m, "vocab", file), file);
        var mergeList = new List<(string, string)>();
        foreach (var item in Json.Array(m, "merges", file)) mergeList.Add(ParseMerge(item, file, mergeList.Count));
        int addedCount = Json.Optional(root, "added_tokens") is { ValueKind: JsonValueKind.Array } ac ? ac.GetArrayLength() : 0;
        var bpe = new BpeModel(vocabMap, mergeList, Json.OptionalString(m, "unk_token"), Json.Bool(m, "fuse_unk", false),
            Json.Bool(m, "byte_fallback", false), Json.Bool(m, "ignore_merges", false), file, addedCount);

        var normalizer = Normalizers.FromJson(root.TryGetProperty("normalizer", out var n) ? n : default, file);
        var added = new List<AddedToken>();
        if (Json.Optional(root, "added_tokens") is { ValueKind: JsonValueKind.Array } arr)
            foreach (var a in arr.EnumerateArray())
                added.Add(new AddedToken(AddedId(Json.Get(a, "id", file), vocabMap.Count + addedCount, file), Json.String(a, "content", file), Json.Bool(a, "special", false),
                    Json.Bool(a, "normalized", true), Json.Bool(a, "lstrip", false), Json.Bool(a, "rstrip", false), Json.Bool(a, "single_word", false)));
        return new TokenizerParts
        {
            Model = bpe,
            Normalizer = normalizer,
            PreTokenizer = PreTokenizers.FromJson(root.TryGetProperty("pre_tokenizer", out var p) ? p : default, file),
            Added = new AddedVocabulary(added, normalizer),
            Template = SingleTemplate.FromJson(root.TryGetProperty("post_processor", out var pp) ? pp : default, file) ?? SingleTemplate.None,
            Decoder = Decoders.FromJson(root.TryGetProperty("decoder", out var dd) ? dd : default, file),
            Source = file,
            UnkId = Json.OptionalString(m, "unk_token") is { } unk ? bpe.TokenToId(unk) : null,
        };
    }

    /// <summary>An added token's id: an integer in [0, limit), the limit being the vocabulary plus the added tokens.</summary>
    static int AddedId(JsonElement id, long limit, string file) =>
        id.ValueKind == JsonValueKind.Number && id.TryGetInt32(out var v) ? AddedId(v, limit, file)
            : throw new FormatException($"{file}: expected an integer added-token id, found {Json.Short(id)}");

    static int AddedId(string id, long limit, string file) =>
        int.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? AddedId(v, limit, file)
            : throw new FormatException($"{file}: added_tokens_decoder key '{id}' is not a token id (a non-negative integer)");

    static int AddedId(int id, long limit, string file) =>
        id >= 0 && id < limit ? id : throw new FormatException($"{file}: added token id {id} is outside [0, {limit}) (the vocabulary plus the added tokens)");

    static Dictionary<string, int> ReadVocab(JsonElement v, string file)
    {
        if (v.ValueKind != JsonValueKind.Object) throw new FormatException($"{file}: expected 'vocab' to be an object of token -> id, found {v.ValueKind}");
        var map = new Dictionary<string, int>();
        foreach (var kv in v.EnumerateObject())
        {
            if (kv.Value.ValueKind != JsonValueKind.Number || !kv.Value.TryGetInt32(out var id))
                throw new FormatException($"{file}: expected an integer id for token '{kv.Name}', found {Json.Short(kv.Value)}");
            map[kv.Name] = id;
        }
        return map;
    }

    static (string, string) ParseMerge(JsonElement item, string file, int index)
    {
        if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() == 2) return (item[0].GetString()!, item[1].GetString()!);
        if (item.ValueKind == JsonValueKind.String)
        {
            var s = item.GetString()!;
            var parts = s.Split(' ');
            if (parts.Length == 2) return (parts[0], parts[1]);
        }
        throw new FormatException($"{file}: merge #{index} must be \"left right\" or [left, right], found {Json.Short(item)}");
    }

    static TokenizerParts FromSentencePiece(string file, JsonElement? cfg)
    {
        var proto = SentencePieceProto.Parse(File.ReadAllBytes(file), file);
        var model = new SentencePieceBpeModel(proto, file);
        // transformers' LlamaTokenizer: add_bos_token defaults to true, add_eos_token to false.
        bool addBos = cfg is { } c ? Json.Bool(c, "add_bos_token", true) : true;
        bool addEos = cfg is { } c2 && Json.Bool(c2, "add_eos_token", false);
        int? Valid(int id) => id >= 0 && id < proto.Pieces.Count ? id : null;
        var parts = new TokenizerParts
        {
            Model = model,
            Normalizer = new SentencePieceNormalizer(proto),
            Added = new AddedVocabulary([], null),   // sentencepiece encodes "<s>" in text as ordinary characters
            Template = SingleTemplate.None,
            SentencePiece = model,
            Source = file,
            BosId = Valid(proto.BosId), EosId = Valid(proto.EosId), PadId = Valid(proto.PadId), UnkId = Valid(proto.UnkId),
        };
        parts.Template = new SingleTemplate(addBos && parts.BosId is int b ? [b] : [], addEos && parts.EosId is int e ? [e] : []);
        return parts;
    }

    static TokenizerParts FromVocabMerges(string vocabFile, string mergesFile, JsonElement? cfg)
    {
        using var doc = Json.Parse(vocabFile);
        var vocab = ReadVocab(doc.RootElement, vocabFile);
        var mergeList = new List<(string, string)>();
        int lineNo = 0;
        foreach (var line in SharpLens.Code.Utf8Text.ReadLines(mergesFile))
        {
            lineNo++;
            if (line.Length == 0 || (lineNo == 1 && line.StartsWith("#version"))) continue;
            var p = line.Split(' ');
            if (p.Length != 2) throw new FormatException($"{mergesFile}:{lineNo}: expected 'left right', found '{line}'");
            mergeList.Add((p[0], p[1]));
        }
        bool prefixSpace = cfg is { } c && Json.Bool(c, "add_prefix_space", false);
        // Legacy GPT-2 folders behave like OpenAI's encoder.py: no added tokens are matched in text unless a
        // tokenizer_config.json lists them under added_tokens_decoder.
        var added = new List<AddedToken>();
        if (cfg is { } c3 && Json.Optional(c3, "added_tokens_decoder") is { ValueKind: JsonValueKind.Object } atd)
            foreach (var kv in atd.EnumerateObject())
                added.Add(new AddedToken(AddedId(kv.Name, vocab.Count + atd.EnumerateObject().Count(), vocabFile), Json.String(kv.Value, "content", vocabFile), Json.Bool(kv.Value, "special", false),
                    Json.Bool(kv.Value, "normalized", false), Json.Bool(kv.Value, "lstrip", false), Json.Bool(kv.Value, "rstrip", false), Json.Bool(kv.Value, "single_word", false)));
        var parts = new TokenizerParts
        {
            Model = new BpeModel(vocab, mergeList, null, false, false, false, mergesFile, added.Count),
            PreTokenizer = new ByteLevelPreTokenizer(prefixSpace, true, vocabFile),
            Added = new AddedVocabulary(added, null),
            Template = SingleTemplate.None,
            Decoder = new ByteLevelDecoder(),
            Source = vocabFile,
        };
        if (vocab.TryGetValue("<|endoftext|>", out var eot)) { parts.BosId = eot; parts.EosId = eot; parts.UnkId = eot; }
        return parts;
    }

    /// <summary>BOS/EOS/PAD/UNK from tokenizer_config.json, then special_tokens_map.json; Llama-class add_bos/add_eos.</summary>
    static void ApplySpecialTokens(TokenizerParts parts, JsonElement? cfg, JsonElement? map)
    {
        int? Lookup(string key)
        {
            foreach (var src in new[] { cfg, map })
            {
                if (src is not { } s || Json.Optional(s, key) is not { } v) continue;
                var content = v.ValueKind == JsonValueKind.String ? v.GetString() : Json.OptionalString(v, "content");
                if (content != null) return parts.TokenToId(content);
            }
            return null;
        }
        parts.BosId = Lookup("bos_token") ?? parts.BosId;
        parts.EosId = Lookup("eos_token") ?? parts.EosId;
        parts.PadId = Lookup("pad_token") ?? parts.PadId;
        parts.UnkId = Lookup("unk_token") ?? parts.UnkId;
        if (parts.SentencePiece != null || cfg is not { } c) return;
        var cls = Json.OptionalString(c, "tokenizer_class") ?? "";
        bool hasFlags = Json.Optional(c, "add_bos_token") != null || Json.Optional(c, "add_eos_token") != null;
        // transformers' LlamaTokenizerFast/CodeLlamaTokenizerFast rebuild the post-processor from these flags.
        if (cls.Contains("Llama", StringComparison.Ordinal) && hasFlags)
        {
            bool bos = Json.Bool(c, "add_bos_token", true), eos = Json.Bool(c, "add_eos_token", false);
            parts.Template = new SingleTemplate(bos && parts.BosId is int b ? [b] : [], eos && parts.EosId is int e ? [e] : []);
        }
        else if (Json.Bool(c, "add_bos_token", false) && parts.BosId is int b2 && parts.Template.Before.Count == 0)
            parts.Template = new SingleTemplate([b2], parts.Template.After);
    }
}
