// Trains a byte-level BPE tokenizer (GPT-2 alphabet, StarCoder-style pre-tokenization) and saves it as HF tokenizer.json.

namespace SharpLens.Tokenization;

/// <summary>Options of <see cref="BpeTrainer"/>.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Final vocabulary size, special tokens and the 256-byte alphabet included.</summary>
    public int VocabSize { get; init; } = 4096;

    /// <summary>Pairs seen fewer times than this are never merged.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>Special tokens, ids 0.. in order: BOS/EOS, pad, and the mask token masked-LM training needs.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["<|endoftext|>", "<pad>", "<mask>"];

    /// <summary>
    /// When set, runs of <c>)</c> are cut into pieces of at most this many before anything else (a Split pre-tokenizer,
    /// saved in tokenizer.json), as CodeLlama's tokenizer splits a run of 5+ — so a closing run is one token or a few.
    /// </summary>
    public int? MaxParenRun { get; init; } = 4;

    /// <summary>Merges made first, in this order, whatever their counts (pieces as text, e.g. <c>(")", ")")</c>).</summary>
    public IReadOnlyList<(string Left, string Right)> ForcedMerges { get; init; } = ParenMerges;

    /// <summary><c>) )</c>, <c>)) )</c>, <c>)) ))</c>: makes <c>)</c>…<c>))))</c> single tokens, as in CodeLlama's vocabulary.</summary>
    public static readonly IReadOnlyList<(string, string)> ParenMerges = [(")", ")"), ("))", ")"), ("))", "))")];

    /// <summary>A plain GPT-2-style byte-level BPE: no paren-run split, no forced merges.</summary>
    public static BpeTrainerOptions Plain(int vocabSize) => new() { VocabSize = vocabSize, MaxParenRun = null, ForcedMerges = [] };
}

/// <summary>
/// Byte-level BPE training — the one tokenizer trainer of SharpLens (<c>sharplens tokenizer train</c> and
/// <c>sharplens train --train-tokenizer</c>). Text is pre-tokenized exactly as the saved tokenizer will encode it:
/// runs of <c>)</c> cut into pieces of at most <see cref="BpeTrainerOptions.MaxParenRun"/> (Split, Isolated), every
/// digit on its own (Digits, individual_digits), then GPT-2's regex (ByteLevel). The
/// <see cref="BpeTrainerOptions.ForcedMerges"/> come first; then pairs are counted over distinct pre-tokens weighted by
/// frequency and the most frequent pair is merged next, ties going to the pair with the smaller (left id, right id) —
/// deterministic. The defaults make <c>)</c>, <c>))</c>, <c>)))</c>, <c>))))</c> and every digit single tokens, as
/// CodeLlama's vocabulary has them (the closing-parenthesis study depends on it).
/// Reference: HF tokenizers BpeTrainer / ByteLevel. Deviation: equal pair counts are broken by the smaller
/// (left id, right id), not by HF's internal order; the result is still an ordinary merges list.
/// </summary>
public sealed class BpeTrainer
{
    readonly BpeTrainerOptions options;
    readonly IPreTokenizer preTokenizer;

    /// <summary>The regex that cuts runs of ')' into pieces of at most <paramref name="max"/>.</summary>
    public static string ParenRunPattern(int max) => $@"\){{1,{max}}}";

    /// <summary>Largest vocabulary trained (2^20): the trainer pre-allocates one slot per token.</summary>
    public const int MaxVocabSize = 1 << 20;

    /// <summary>The smallest vocabulary for these options: the special tokens, the 256 bytes and the forced merges.</summary>
    public static int MinimumVocabSize(BpeTrainerOptions options) => options.SpecialTokens.Count + 256 + options.ForcedMerges.Count;

    public BpeTrainer(BpeTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int minimum = MinimumVocabSize(options);
        if (options.VocabSize > MaxVocabSize) throw new ArgumentOutOfRangeException(nameof(options), $"vocab size must be at most {MaxVocabSize}, found {options.VocabSize}");
        if (options.VocabSize < minimum)
            throw new ArgumentOutOfRangeException(nameof(options), $"vocab size must be at least {minimum} (special tokens + 256 bytes + forced merges), found {options.VocabSize}");
        if (options.MinFrequency < 1) throw new ArgumentOutOfRangeException(nameof(options), $"min frequency must be at least 1, found {options.MinFrequency}");
        if (options.MaxParenRun is < 1) throw new ArgumentOutOfRangeException(nameof(options), $"the longest paren run must be at least 1, found {options.MaxParenRun}");
        this.options = options;
        var steps = new List<IPreTokenizer>();
        if (options.MaxParenRun is int max)
            steps.Add(new SplitPreTokenizer(Pattern.FromRegex(ParenRunPattern(max), "BpeTrainer"), SplitBehavior.Isolated, invert: false));
        steps.Add(new CharClassPreTokenizer(numeric: true, SplitBehavior.Isolated));
        steps.Add(new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true, "BpeTrainer"));
        preTokenizer = new SequencePreTokenizer(steps);
    }

    /// <summary>Trains on the given documents (each pre-tokenized on its own).</summary>
    public TrainedBpe Train(IEnumerable<string> documents)
    {
        var counts = CountWords(documents);
        return Merge(counts);
    }

    Dictionary<string, long> CountWords(IEnumerable<string> documents)
    {
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        var gate = new object();
        Parallel.ForEach(documents, () => new Dictionary<string, long>(StringComparer.Ordinal), (doc, state, local) =>
        {
            if (doc.Length == 0) return local;
            var text = doc.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 ? System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(doc)) : doc;
            foreach (var piece in preTokenizer.Split([NormalizedString.FromOriginal(text, 0, text.Length)]))
            {
                ref var c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(local, piece.Text, out _);
                c++;
            }
            return local;
        }, local =>
        {
            lock (gate) foreach (var (w, c) in local) { ref var t = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(total, w, out _); t += c; }
        });
        return total;
    }

    TrainedBpe Merge(Dictionary<string, long> wordCounts)
    {
        int specials = options.SpecialTokens.Count;
        var tokens = new List<string>(options.VocabSize);
        tokens.AddRange(options.SpecialTokens);
        for (int b = 0; b < 256; b++) tokens.Add(ByteLevelAlphabet.ToChar((byte)b).ToString());
        var tokenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++) tokenIds.TryAdd(tokens[i], i);

        // Distinct words as symbol arrays, in a fixed order so that training is deterministic.
        var ordered = wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        var words = new int[ordered.Length][];
        var lengths = new int[ordered.Length];
        var freq = new long[ordered.Length];
        for (int w = 0; w < ordered.Length; w++)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(ordered[w].Key);
            words[w] = new int[bytes.Length];
            for (int i = 0; i < bytes.Length; i++) words[w][i] = specials + bytes[i];
            lengths[w] = bytes.Length;
            freq[w] = ordered[w].Value;
        }

        var pairCounts = new Dictionary<long, long>(PairKey.Comparer);
        var where = new Dictionary<long, HashSet<int>>(PairKey.Comparer);
        for (int w = 0; w < words.Length; w++)
            for (int i = 0; i + 1 < lengths[w]; i++)
            {
                long key = PairKey.Of(words[w][i], words[w][i + 1]);
                ref var c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(pairCounts, key, out _);
                c += freq[w];
                if (!where.TryGetValue(key, out var set)) where[key] = set = new HashSet<int>();
                set.Add(w);
            }

        // Max-heap by (count desc, pair asc) with lazy re-validation of stale counts.
        var queue = new PriorityQueue<long, (long Count, long Key)>(QueueOrder.Instance);
        foreach (var (key, c) in pairCounts) queue.Enqueue(key, (c, key));
        var merges = new List<(string, string)>();
        var scratch = new List<long>();
        void Apply(long best)
        {
            int a = (int)(best >> 32), b = (int)best;
            var merged = tokens[a] + tokens[b];
            if (!tokenIds.TryGetValue(merged, out var newId)) { newId = tokens.Count; tokens.Add(merged); tokenIds[merged] = newId; }
            merges.Add((tokens[a], tokens[b]));
            var changed = new HashSet<long>();
            foreach (var w in where.TryGetValue(best, out var set) ? set.ToArray() : [])
                MergeWord(words[w], ref lengths[w], w, freq[w], a, b, newId, pairCounts, where, changed, scratch);
            pairCounts.Remove(best);
            foreach (var key in changed)
                if (pairCounts.TryGetValue(key, out var c) && c > 0) queue.Enqueue(key, (c, key));
        }
        foreach (var (left, right) in options.ForcedMerges)
        {
            string l = ToByteLevel(left), r = ToByteLevel(right);
            if (!tokenIds.TryGetValue(l, out var a) || !tokenIds.TryGetValue(r, out var b))
                throw new ArgumentException($"forced merge '{left}' + '{right}': both sides must already be tokens (bytes or earlier forced merges)");
            Apply(PairKey.Of(a, b));
        }
        while (tokens.Count < options.VocabSize && queue.TryDequeue(out var best, out var prio))
        {
            long actual = pairCounts.GetValueOrDefault(best);
            if (actual != prio.Count) { if (actual > 0) queue.Enqueue(best, (actual, best)); continue; }
            if (actual < options.MinFrequency) break;
            Apply(best);
        }
        return new TrainedBpe(tokens, merges, options.SpecialTokens, options.MaxParenRun);
    }

    static string ToByteLevel(string text) => string.Concat(System.Text.Encoding.UTF8.GetBytes(text).Select(b => ByteLevelAlphabet.ToChar(b)));

    static void MergeWord(int[] word, ref int length, int w, long f, int a, int b, int newId, Dictionary<long, long> pairCounts,
        Dictionary<long, HashSet<int>> where, HashSet<long> changed, List<long> scratch)
    {
        bool found = false;
        for (int i = 0; i + 1 < length; i++) if (word[i] == a && word[i + 1] == b) { found = true; break; }
        if (!found) return;
        // Remove this word's pairs, merge left to right (non-overlapping), add its new pairs back.
        for (int i = 0; i + 1 < length; i++) Add(pairCounts, PairKey.Of(word[i], word[i + 1]), -f, changed);
        int n = 0;
        for (int i = 0; i < length; i++)
        {
            if (i + 1 < length && word[i] == a && word[i + 1] == b) { word[n++] = newId; i++; }
            else word[n++] = word[i];
        }
        length = n;
        for (int i = 0; i + 1 < length; i++)
        {
            long key = PairKey.Of(word[i], word[i + 1]);
            Add(pairCounts, key, f, changed);
            if (!where.TryGetValue(key, out var set)) where[key] = set = new HashSet<int>();
            set.Add(w);
        }
    }

    static void Add(Dictionary<long, long> counts, long key, long delta, HashSet<long> changed)
    {
        ref var c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _);
        c += delta;
        changed.Add(key);
    }

    static class PairKey
    {
        public static long Of(int a, int b) => ((long)a << 32) | (uint)b;
        public static readonly IEqualityComparer<long> Comparer = new Mixing();

        sealed class Mixing : IEqualityComparer<long>
        {
            public bool Equals(long x, long y) => x == y;
            public int GetHashCode(long x) => (int)((ulong)(x * unchecked((long)0x9E3779B97F4A7C15)) >> 32);
        }
    }

    sealed class QueueOrder : IComparer<(long Count, long Key)>
    {
        public static readonly QueueOrder Instance = new();
        public int Compare((long Count, long Key) x, (long Count, long Key) y) =>
            x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Key.CompareTo(y.Key);
    }
}
