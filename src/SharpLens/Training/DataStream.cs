// The training stream: fixed-length sequences cut from the token cache, visited in a seeded permutation per epoch.
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>One batch: model inputs and per-position targets (−100 = no loss at that position).</summary>
public sealed record Batch(long[] InputIds, long[] Labels, int BatchSize, int SeqLen)
{
    public Tensor InputTensor() => tensor(InputIds, [BatchSize, SeqLen]);
    public Tensor LabelTensor() => tensor(Labels, [BatchSize, SeqLen]);
}

/// <summary>
/// Sequences are non-overlapping windows of L tokens inside each source's range of the cache (a source's tail is
/// dropped); documents are already separated by eos/bos inside the cache. An epoch holds every window of a source
/// ⌊w⌋ times plus a seeded subset of round((w − ⌊w⌋)·n) of its n windows (w = the source's weight), visited in the
/// Fisher–Yates permutation seeded by (seed, epoch) — with one source of weight 1 simply a permutation of its windows.
/// With a procedural warm-up, steps 0 … W−1 (W = round(steps · Σ fractions)) hold procedural sequences (each sequence's
/// kind drawn with probability ∝ its fraction, seeded by the sequence number) and corpus step s − W follows. Step s
/// takes global sequence numbers s·B … s·B+B−1, so the stream depends only on seed, cache, L, B, budget and mix —
/// never on the architecture — and its position is just the step number. With the spread schedule, global sequence g
/// (g = s·B + b) is procedural when ⌊(g+1)·f⌋ &gt; ⌊g·f⌋ (f = Σ fractions: an even spacing) and is otherwise corpus
/// sequence g − ⌊g·f⌋, so the corpus keeps its order and only moves later.
/// clm labels are the inputs shifted left (the last position has none; procedural positions flagged as unpredictable
/// have none); mlm follows BERT: 15% of the non-special positions are selected by an RNG seeded by (seed, sequence
/// number); of those 80% become the mask token, 10% a uniformly random id, 10% stay; labels are the original ids at
/// selected positions.
/// </summary>
public sealed class DataStream
{
    readonly int[] tokens;
    readonly long seed;
    readonly int seqLen, batch;
    readonly Objective objective;
    readonly TrainTokenizer? tokenizer;
    readonly long[] windows;                  // window starts of one epoch before weighting: every source's windows
    readonly (int Source, long First, int Count)[] sourceWindows;
    readonly double[] weights;
    readonly IReadOnlyList<ProceduralMix> procedural;
    readonly double proceduralTotal;          // Σ fractions, the scale of PickKind's draw
    readonly Procedural? generator;
    readonly bool spread;
    int cachedEpoch = -1;
    long[] epochOrder = [];

    public const int IgnoreIndex = -100;
    public const double MaskProbability = 0.15;

    /// <summary>Number of corpus sequences per epoch (after weighting).</summary>
    public int Sequences { get; }

    /// <summary>Steps at the start of the run that hold procedural sequences.</summary>
    public long ProceduralSteps { get; }

    public DataStream(TokenCache cache, int seqLen, int batch, long seed, Objective objective, TrainTokenizer? tokenizer = null,
        IReadOnlyList<ProceduralMix>? procedural = null, long totalSteps = 0, ProceduralSchedule schedule = ProceduralSchedule.Front)
    {
        tokens = cache.Tokens;
        this.seqLen = seqLen; this.batch = batch; this.seed = seed; this.objective = objective; this.tokenizer = tokenizer;
        var sources = cache.Manifest.Sources;
        var starts = new List<long>();
        sourceWindows = new (int, long, int)[sources.Count];
        weights = sources.Select(s => s.Weight).ToArray();
        for (int si = 0; si < sources.Count; si++)
        {
            long n = sources[si].Tokens / seqLen;
            sourceWindows[si] = (si, starts.Count, (int)n);
            for (long i = 0; i < n; i++) starts.Add(sources[si].Start + i * seqLen);
        }
        windows = starts.ToArray();
        long perEpoch = sourceWindows.Sum(w => (long)Math.Floor(weights[w.Source]) * w.Count + (long)Math.Round((weights[w.Source] - Math.Floor(weights[w.Source])) * w.Count));
        if (perEpoch < 1) throw new InvalidDataException($"the corpus has {tokens.Length} tokens, fewer than one sequence of {seqLen}");
        if (perEpoch > int.MaxValue) throw new InvalidDataException($"an epoch of {perEpoch} sequences is more than {int.MaxValue}; lower the corpus weights");
        Sequences = (int)perEpoch;
        if (objective == Objective.Mlm && tokenizer?.MaskId is null)
            throw new InvalidDataException("the mlm objective needs a tokenizer with a mask token (e.g. <mask>), found none");
        this.procedural = procedural ?? [];
        if (this.procedural.Count > 0)
        {
            generator = new Procedural(tokenizer ?? throw new ArgumentException("procedural warm-up needs the run's tokenizer"));
            proceduralTotal = this.procedural.Sum(m => m.Fraction);
            spread = schedule == ProceduralSchedule.Spread;
            if (!spread) ProceduralSteps = (long)Math.Round(totalSteps * proceduralTotal);
        }
    }

    /// <summary>The cache position of global corpus sequence number g (epoch g / Sequences).</summary>
    public long SequenceStart(long g)
    {
        int epoch = (int)(g / Sequences);
        if (epoch != cachedEpoch)
        {
            var order = new List<long>(Sequences);
            foreach (var (si, first, count) in sourceWindows)
            {
                double w = weights[si];
                for (int c = 0; c < (int)Math.Floor(w); c++)
                    for (int i = 0; i < count; i++) order.Add(windows[first + i]);
                int extra = (int)Math.Round((w - Math.Floor(w)) * count);
                if (extra == 0) continue;
                var pick = Enumerable.Range(0, count).ToArray();        // a seeded subset: the first `extra` of a shuffle
                new SplitMix64(SplitMix64.Mix(seed, 0xC0B, epoch, si)).Shuffle(pick);
                for (int i = 0; i < extra; i++) order.Add(windows[first + pick[i]]);
            }
            epochOrder = order.ToArray();
            new SplitMix64(SplitMix64.Mix(seed, 0x5E9, epoch)).Shuffle(epochOrder);
            cachedEpoch = epoch;
        }
        return epochOrder[(int)(g % Sequences)];
    }

    /// <summary>The batch of optimiser step <paramref name="step"/> (0-based).</summary>
    public Batch BatchAt(long step)
    {
        var ids = new long[batch * seqLen];
        var labels = new long[batch * seqLen];
        bool warm = step < ProceduralSteps;
        for (int b = 0; b < batch; b++)
        {
            int o = b * seqLen;
            bool[]? learn = null;
            long g, corpusIndex = (step - ProceduralSteps) * batch + b;
            if (spread)
            {
                long n = step * batch + b, before = ProceduralBefore(n);
                warm = ProceduralBefore(n + 1) > before;
                corpusIndex = n - before;
            }
            if (warm)
            {
                g = step * batch + b;
                var rng = new SplitMix64(SplitMix64.Mix(seed, 0x960C, g));
                var (seq, flags) = generator!.Sequence(PickKind(ref rng), ref rng, seqLen);
                for (int i = 0; i < seqLen; i++) ids[o + i] = seq[i];
                learn = flags;
                g |= 1L << 62;                                     // masking randomness distinct from corpus sequence g
            }
            else
            {
                g = corpusIndex;
                long start = SequenceStart(g);
                for (int i = 0; i < seqLen; i++) ids[o + i] = tokens[start + i];
            }
            if (objective == Objective.Clm)
            {
                for (int i = 0; i < seqLen - 1; i++) labels[o + i] = learn is null || learn[i] ? ids[o + i + 1] : IgnoreIndex;
                labels[o + seqLen - 1] = IgnoreIndex;
            }
            else Mask(g, ids.AsSpan(o, seqLen), labels.AsSpan(o, seqLen));
        }
        return new Batch(ids, labels, batch, seqLen);
    }

    /// <summary>How many of step <paramref name="step"/>'s sequences are procedural.</summary>
    public int ProceduralSequencesIn(long step)
    {
        if (generator is null) return 0;
        if (!spread) return step < ProceduralSteps ? batch : 0;
        return (int)(ProceduralBefore((step + 1) * batch) - ProceduralBefore(step * batch));
    }

    /// <summary>Spread schedule: how many of global sequences 0 … n−1 are procedural.</summary>
    long ProceduralBefore(long n) => (long)Math.Floor(n * proceduralTotal);

    string PickKind(ref SplitMix64 rng)
    {
        double r = rng.NextDouble() * proceduralTotal;
        foreach (var m in procedural)
        {
            if (r < m.Fraction) return m.Kind;
            r -= m.Fraction;
        }
        return procedural[^1].Kind;
    }

    void Mask(long g, Span<long> ids, Span<long> labels) => Mask(seed, g, tokenizer!, ids, labels);

    /// <summary>BERT masking of one sequence in place (the training stream's rule), seeded by (seed, sequence number g).</summary>
    public static void Mask(long seed, long g, TrainTokenizer tokenizer, Span<long> ids, Span<long> labels)
    {
        var rng = new SplitMix64(SplitMix64.Mix(seed, 0x3A5C, g));
        int mask = tokenizer.MaskId ?? throw new InvalidDataException("masking needs a tokenizer with a mask token, found none"), vocab = tokenizer.VocabSize;
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
