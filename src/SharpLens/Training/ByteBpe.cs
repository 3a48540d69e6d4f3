// Fallback byte-level BPE for code (trainer + exact encoder), written as an HF tokenizer.json, for when no other trainer exists.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SharpLens.Training;

/// <summary>
/// A GPT-2-style byte-level BPE whose pre-tokenizer suits the closing-parenthesis study: runs of ")" are cut into
/// pieces of at most four (as CodeLlama splits a run of 5+), every digit is its own piece, then GPT-2's regex. The
/// merges ") )", "))·)", "))·))" come first, so ")", "))", ")))" and "))))" are always single tokens; digits are single
/// bytes, so single tokens. Saved as an HF tokenizer.json (Sequence[Split, Digits, ByteLevel] + BPE) that
/// transformers and SharpLens.Tokenization read with the same ids as <see cref="Encode"/>.
/// Reference: HF tokenizers BpeTrainer / ByteLevel. Deviation: equal pair counts are broken by the smaller
/// (left id, right id), not by HF's internal order; the result is still an ordinary merges list.
/// </summary>
public sealed class ByteBpe
{
    public static readonly string[] Specials = ["<|endoftext|>", "<pad>", "<mask>"];
    const string ParenRun = @"\){1,4}";
    static readonly Regex Gpt2 = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled | RegexOptions.CultureInvariant);
    static readonly Regex Parens = new(ParenRun, RegexOptions.Compiled | RegexOptions.CultureInvariant);
    static readonly char[] ByteToChar = BuildByteAlphabet();

    readonly Dictionary<string, int> vocab;
    readonly string[] idToToken;
    readonly Dictionary<(int, int), (int Rank, int Id)> merges = new();
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> wordCache = new();

    ByteBpe(Dictionary<string, int> vocab, IReadOnlyList<(string, string)> mergeList)
    {
        this.vocab = vocab;
        idToToken = new string[vocab.Count];
        foreach (var (t, id) in vocab) idToToken[id] = t;
        for (int r = 0; r < mergeList.Count; r++)
        {
            var (a, b) = mergeList[r];
            merges[(vocab[a], vocab[b])] = (r, vocab[a + b]);
        }
    }

    public int VocabSize => idToToken.Length;
    public int? TokenToId(string token) => vocab.TryGetValue(ToByteLevel(token), out var id) ? id : null;

    /// <summary>GPT-2's byte ↔ printable-char map.</summary>
    static char[] BuildByteAlphabet()
    {
        var map = new char[256];
        var direct = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        int next = 0;
        for (int b = 0; b < 256; b++) map[b] = direct.Contains(b) ? (char)b : (char)(256 + next++);
        return map;
    }

    static string ToByteLevel(string s) => new(Encoding.UTF8.GetBytes(s).Select(b => ByteToChar[b]).ToArray());

    /// <summary>The pre-tokenizer: paren runs, single digits, then GPT-2's regex; each piece as byte-level chars.</summary>
    public static IEnumerable<string> PreTokenize(string text)
    {
        foreach (var p1 in SplitIsolated(text, Parens))
            foreach (var p2 in SplitDigits(p1))
                foreach (Match m in Gpt2.Matches(p2))
                    yield return ToByteLevel(m.Value);
    }

    static IEnumerable<string> SplitIsolated(string s, Regex re)
    {
        int last = 0;
        foreach (Match m in re.Matches(s))
        {
            if (m.Index > last) yield return s[last..m.Index];
            yield return m.Value;
            last = m.Index + m.Length;
        }
        if (last < s.Length) yield return s[last..];
    }

    static IEnumerable<string> SplitDigits(string s)
    {
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (!char.IsNumber(s, i)) continue;
            if (i > start) yield return s[start..i];
            yield return s[i..(i + 1)];
            start = i + 1;
        }
        if (start < s.Length) yield return s[start..];
    }

    /// <summary>Ids of <paramref name="text"/> (no special tokens).</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>();
        foreach (var piece in PreTokenize(text)) ids.AddRange(wordCache.GetOrAdd(piece, EncodeWord));
        return ids.ToArray();
    }

    int[] EncodeWord(string word)
    {
        var sym = word.Select(c => vocab[c.ToString()]).ToList();
        while (sym.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue, bestId = 0;
            for (int i = 0; i + 1 < sym.Count; i++)
                if (merges.TryGetValue((sym[i], sym[i + 1]), out var m) && m.Rank < bestRank) { best = i; bestRank = m.Rank; bestId = m.Id; }
            if (best < 0) break;
            var (l, r) = (sym[best], sym[best + 1]);
            for (int i = best; i + 1 < sym.Count; i++)
                if (sym[i] == l && sym[i + 1] == r) { sym[i] = bestId; sym.RemoveAt(i + 1); }
        }
        return sym.ToArray();
    }

    public string Decode(IEnumerable<int> ids)
    {
        var inverse = new Dictionary<char, byte>();
        for (int b = 0; b < 256; b++) inverse[ByteToChar[b]] = (byte)b;
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            var t = idToToken[id];
            if (id < Specials.Length) bytes.AddRange(Encoding.UTF8.GetBytes(t));
            else bytes.AddRange(t.Select(c => inverse[c]));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Learns merges on <paramref name="documents"/> until the vocabulary (specials + 256 bytes + merges) has <paramref name="vocabSize"/> entries.</summary>
    public static ByteBpe Train(IEnumerable<string> documents, int vocabSize, int minFrequency = 2)
    {
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var doc in documents)
            foreach (var w in PreTokenize(doc)) wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokens = new List<string>();
        void AddToken(string t) { vocab[t] = tokens.Count; tokens.Add(t); }
        foreach (var s in Specials) AddToken(s);
        for (int b = 0; b < 256; b++) AddToken(ByteToChar[b].ToString());
        if (vocabSize < tokens.Count + 3) throw new ArgumentException($"vocab size must be ≥ {tokens.Count + 3}, found {vocabSize}");

        var words = wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (Sym: kv.Key.Select(c => vocab[c.ToString()]).ToList(), Count: kv.Value)).ToList();
        var pairCount = new Dictionary<(int, int), long>();
        var where = new Dictionary<(int, int), HashSet<int>>();
        var queue = new PriorityQueue<(int, int), (long, int, int)>();
        void Touch((int, int) p) { if (pairCount.TryGetValue(p, out var c) && c > 0) queue.Enqueue(p, (-c, p.Item1, p.Item2)); }
        void AddPairs(int w, int sign, HashSet<(int, int)> touched)
        {
            var (sym, count) = words[w];
            for (int i = 0; i + 1 < sym.Count; i++)
            {
                var p = (sym[i], sym[i + 1]);
                pairCount[p] = pairCount.GetValueOrDefault(p) + sign * count;
                if (sign > 0) { if (!where.TryGetValue(p, out var set)) where[p] = set = new(); set.Add(w); }
                touched.Add(p);
            }
        }
        var init = new HashSet<(int, int)>();
        for (int w = 0; w < words.Count; w++) AddPairs(w, +1, init);
        foreach (var p in init) Touch(p);

        var mergeList = new List<(string, string)>();
        void Merge((int, int) p)
        {
            var (a, b) = p;
            var merged = tokens[a] + tokens[b];
            if (!vocab.ContainsKey(merged)) AddToken(merged);
            int id = vocab[merged];
            mergeList.Add((tokens[a], tokens[b]));
            var touched = new HashSet<(int, int)>();
            foreach (var w in where.TryGetValue(p, out var set) ? set.ToList() : [])
            {
                AddPairs(w, -1, touched);
                var sym = words[w].Sym;
                for (int i = 0; i + 1 < sym.Count; i++)
                    if (sym[i] == a && sym[i + 1] == b) { sym[i] = id; sym.RemoveAt(i + 1); }
                AddPairs(w, +1, touched);
            }
            foreach (var t in touched) Touch(t);
        }
        string close = ByteToChar[')'].ToString();
        Merge((vocab[close], vocab[close]));
        Merge((vocab[close + close], vocab[close]));
        Merge((vocab[close + close], vocab[close + close]));
        while (tokens.Count < vocabSize && queue.TryDequeue(out var p, out var prio))
        {
            if (pairCount.GetValueOrDefault(p) != -prio.Item1) continue;       // stale entry
            if (-prio.Item1 < minFrequency) break;
            if (vocab.ContainsKey(tokens[p.Item1] + tokens[p.Item2]) && mergeList.Contains((tokens[p.Item1], tokens[p.Item2]))) { pairCount[p] = 0; continue; }
            Merge(p);
        }
        return new ByteBpe(vocab, mergeList);
    }

    IEnumerable<(string, string)> MergeList() => merges.OrderBy(kv => kv.Value.Rank).Select(kv => (idToToken[kv.Key.Item1], idToToken[kv.Key.Item2]));

    /// <summary>Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json.</summary>
    public void Save(string dir)
    {
        System.IO.Directory.CreateDirectory(dir);
        var v = new JsonObject();
        for (int i = 0; i < idToToken.Length; i++) v[idToToken[i]] = i;
        var json = new JsonObject
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null,
            ["added_tokens"] = new JsonArray(Specials.Select((s, i) => (JsonNode)new JsonObject
            {
                ["id"] = i, ["content"] = s, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            }).ToArray()),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = ParenRun }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "Digits", ["individual_digits"] = true },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true }),
            },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = v,
                ["merges"] = new JsonArray(MergeList().Select(m => (JsonNode)new JsonArray(m.Item1, m.Item2)).ToArray()),
            },
        };
        var opts = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        AtomicFile.WriteText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString(opts) + "\n");
        AtomicFile.WriteText(Path.Combine(dir, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast", ["bos_token"] = Specials[0], ["eos_token"] = Specials[0], ["unk_token"] = null,
            ["pad_token"] = Specials[1], ["mask_token"] = Specials[2], ["add_bos_token"] = false, ["add_eos_token"] = false,
            ["clean_up_tokenization_spaces"] = false, ["model_max_length"] = 1_000_000,
        }.ToJsonString(opts) + "\n");
        AtomicFile.WriteText(Path.Combine(dir, "special_tokens_map.json"), new JsonObject
        {
            ["bos_token"] = Specials[0], ["eos_token"] = Specials[0], ["pad_token"] = Specials[1], ["mask_token"] = Specials[2],
        }.ToJsonString(opts) + "\n");
    }

    /// <summary>Reads a tokenizer.json written by <see cref="Save"/>; refuses any other pipeline (it could not encode it exactly).</summary>
    public static ByteBpe Load(string dir)
    {
        var path = Path.Combine(dir, "tokenizer.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer.json not found in {dir}", path);
        JsonObject root;
        try { root = JsonNode.Parse(SharpLens.Code.Utf8Text.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object"); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}: malformed JSON ({e.Message})"); }
        var pre = root["pre_tokenizer"]?.ToJsonString();
        var expectedPre = JsonNode.Parse("""{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\){1,4}"},"behavior":"Isolated","invert":false},{"type":"Digits","individual_digits":true},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}]}""")!.ToJsonString();
        if (pre != expectedPre || root["normalizer"] is not null || root["model"] is not JsonObject model || model["type"]?.ToJsonString() != "\"BPE\"")
            throw new NotSupportedException($"{path}: not a tokenizer written by SharpLens' ByteBpe (expected its pre-tokenizer {expectedPre}, found {pre})");
        // The file passed the pipeline check but may still be damaged: ids must be 0..n-1 and every merge must name vocab tokens.
        var vocabObj = model["vocab"] as JsonObject ?? throw new InvalidDataException($"{path}: expected model.vocab to be an object of token -> id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<int>();
        foreach (var (token, value) in vocabObj)
            vocab[token] = value is JsonValue v && v.TryGetValue<int>(out var id) && id >= 0 && id < vocabObj.Count && seen.Add(id) ? id
                : throw new InvalidDataException($"{path}: model.vocab['{token}'] should be a distinct id in [0, {vocabObj.Count}), found {value?.ToJsonString() ?? "null"}");
        var mergesArr = model["merges"] as JsonArray ?? throw new InvalidDataException($"{path}: expected model.merges to be an array");
        var mergeList = new List<(string, string)>();
        foreach (var m in mergesArr)
        {
            var pair = m switch
            {
                JsonArray { Count: 2 } a when a[0] is JsonValue l && l.TryGetValue<string>(out var x) && a[1] is JsonValue r && r.TryGetValue<string>(out var y) => (x, y),
                JsonValue v when v.TryGetValue<string>(out var text) && text.Split(' ') is [var x, var y] => (x, y),
                _ => throw new InvalidDataException($"{path}: merge #{mergeList.Count} should be \"left right\" or [left, right], found {m?.ToJsonString() ?? "null"}"),
            };
            if (!vocab.ContainsKey(pair.Item1) || !vocab.ContainsKey(pair.Item2) || !vocab.ContainsKey(pair.Item1 + pair.Item2))
                throw new InvalidDataException($"{path}: merge #{mergeList.Count} ({pair.Item1} {pair.Item2}) names tokens that are not in the vocabulary");
            mergeList.Add(pair);
        }
        return new ByteBpe(vocab, mergeList);
    }

    /// <summary>This tokenizer as the trainer sees it (ids 0–2 are &lt;|endoftext|&gt;, &lt;pad&gt;, &lt;mask&gt;).</summary>
    public TrainTokenizer ForTraining(string? dir) => new()
    {
        Encode = Encode, EncodeForInference = Encode, VocabSize = VocabSize, BosId = 0, EosId = 0, PadId = 1, MaskId = 2,
        SpecialIds = new HashSet<int> { 0, 1, 2 }, TokenToId = TokenToId, Directory = dir,
        Hash = dir is null ? "bytebpe-memory" : TrainTokenizer.HashDirectory(dir),
    };
}
