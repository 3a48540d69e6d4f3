// Seeded streams for dataset builders: SplitMix64 (the one RNG) started from a seed and stream ids.
namespace SharpLens.Code.Datasets;

/// <summary>A <see cref="SplitMix64"/> seeded from a seed and stream ids, with the helpers dataset builders use.</summary>
public sealed class SeededRandom
{
    SplitMix64 rng;

    /// <summary>A generator for <paramref name="seed"/>, optionally separated into independent streams by <paramref name="streams"/>.</summary>
    public SeededRandom(long seed, params long[] streams)
    {
        ulong state = (ulong)seed;
        foreach (var s in streams) state = SplitMix64.Finalize(state ^ SplitMix64.Finalize((ulong)s + SplitMix64.Gamma));
        rng = new SplitMix64(state);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64() => rng.Next();

    /// <summary>Uniform integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int Next(int minInclusive, int maxExclusive)
    {
        if (maxExclusive <= minInclusive) throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"expected max > min, found [{minInclusive}, {maxExclusive})");
        ulong range = (ulong)((long)maxExclusive - minInclusive);
        return (int)((long)minInclusive + (long)rng.NextBelow(range));
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items) => rng.Shuffle(items);
}
