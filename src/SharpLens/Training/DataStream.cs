// The training stream: fixed-length sequences cut from the token cache, visited in a seeded permutation per epoch.
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>SplitMix64: a tiny, portable RNG whose whole state is one ulong (so data order is reproducible anywhere).</summary>
public struct SplitMix64(ulong state)
{
    public ulong State = state;

    public ulong Next()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) (rejection sampling, no modulo bias).</summary>
    public int NextInt(int n)
    {
        ulong limit = ulong.MaxValue - ulong.MaxValue % (ulong)n;
        ulong r;
        do r = Next(); while (r >= limit);
        return (int)(r % (ulong)n);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A well-mixed seed from several integers.</summary>
    public static ulong Mix(params long[] parts)
    {
        var r = new SplitMix64(0x5EED5EED5EED5EEDUL);
        ulong h = 0;
        foreach (var p in parts) { r.State ^= (ulong)p + h; h = r.Next(); }
        return h;
    }
}

/// <summary>One batch: model inputs and per-position targets (−100 = no loss at that position).</summary>
public sealed record Batch(long[] InputIds, long[] Labels, int BatchSize, int SeqLen)
{
    public Tensor InputTensor() => tensor(InputIds, [BatchSize, SeqLen]);
    public Tensor LabelTensor() => tensor(Labels, [BatchSize, SeqLen]);
}

/// <summary>
/// Sequences are the non-overlapping windows tokens[i·L, (i+1)·L) of the cache (the tail is dropped); documents are
/// already separated by eos/bos inside the cache. Epoch e visits them in the Fisher–Yates permutation seeded by
/// (seed, e). Step s takes global sequence numbers s·B … s·B+B−1, so the stream depends only on seed, cache, L and B —
/// never on the architecture — and its position is just the step number.
/// clm labels are the inputs shifted left (the last position has none); mlm follows BERT: 15% of the non-special
/// positions are selected by an RNG seeded by (seed, sequence number); of those 80% become the mask token, 10% a
/// uniformly random id, 10% stay; labels are the original ids at selected positions.
/// </summary>
public sealed class DataStream
{
    readonly int[] tokens;
    readonly long seed;
    readonly int seqLen, batch;
    readonly Objective objective;
    readonly TrainTokenizer? tokenizer;
    int cachedEpoch = -1;
    int[] permutation = [];

    public const int IgnoreIndex = -100;
    public const double MaskProbability = 0.15;

    /// <summary>Number of sequences per epoch.</summary>
    public int Sequences { get; }

    public DataStream(TokenCache cache, int seqLen, int batch, long seed, Objective objective, TrainTokenizer? tokenizer = null)
    {
        tokens = cache.Tokens;
        this.seqLen = seqLen; this.batch = batch; this.seed = seed; this.objective = objective; this.tokenizer = tokenizer;
        Sequences = (int)(tokens.LongLength / seqLen);
        if (Sequences < 1) throw new InvalidDataException($"the corpus has {tokens.Length} tokens, fewer than one sequence of {seqLen}");
        if (objective == Objective.Mlm && tokenizer?.MaskId is null)
            throw new InvalidDataException("the mlm objective needs a tokenizer with a mask token (e.g. <mask>), found none");
    }

    /// <summary>The cache position of global sequence number g (epoch g / Sequences).</summary>
    public long SequenceStart(long g)
    {
        int epoch = (int)(g / Sequences);
        if (epoch != cachedEpoch)
        {
            permutation = Enumerable.Range(0, Sequences).ToArray();
            var rng = new SplitMix64(SplitMix64.Mix(seed, 0x5E9, epoch));
            for (int i = Sequences - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
            }
            cachedEpoch = epoch;
        }
        return (long)permutation[(int)(g % Sequences)] * seqLen;
    }

    /// <summary>The batch of optimiser step <paramref name="step"/> (0-based).</summary>
    public Batch BatchAt(long step)
    {
        var ids = new long[batch * seqLen];
        var labels = new long[batch * seqLen];
        for (int b = 0; b < batch; b++)
        {
            long g = step * batch + b, start = SequenceStart(g);
            int o = b * seqLen;
            for (int i = 0; i < seqLen; i++) ids[o + i] = tokens[start + i];
            if (objective == Objective.Clm)
            {
                for (int i = 0; i < seqLen - 1; i++) labels[o + i] = ids[o + i + 1];
                labels[o + seqLen - 1] = IgnoreIndex;
            }
            else Mask(g, ids.AsSpan(o, seqLen), labels.AsSpan(o, seqLen));
        }
        return new Batch(ids, labels, batch, seqLen);
    }

    void Mask(long g, Span<long> ids, Span<long> labels)
    {
        var rng = new SplitMix64(SplitMix64.Mix(seed, 0x3A5C, g));
        int mask = tokenizer!.MaskId!.Value, vocab = tokenizer.VocabSize;
        for (int i = 0; i < ids.Length; i++)
        {
            double r = rng.NextDouble(), action = rng.NextDouble();
            int random = rng.NextInt(vocab);          // drawn always, so every position consumes the same randomness
            if (r >= MaskProbability || tokenizer.SpecialIds.Contains((int)ids[i])) { labels[i] = IgnoreIndex; continue; }
            labels[i] = ids[i];
            if (action < 0.8) ids[i] = mask;
            else if (action < 0.9) ids[i] = random;
        }
    }
}
