// A small, version-stable PRNG (SplitMix64) so the same seed gives byte-identical datasets on every .NET version.
namespace SharpLens.Code.Datasets;

/// <summary>SplitMix64 generator; unlike System.Random its sequence is fixed by this file, not by the runtime.</summary>
public sealed class SeededRandom
{
    ulong state;

    /// <summary>A generator for <paramref name="seed"/>, optionally separated into independent streams by <paramref name="streams"/>.</summary>
    public SeededRandom(long seed, params long[] streams)
    {
        state = (ulong)seed;
        foreach (var s in streams) { state = Mix(state ^ Mix((ulong)s + 0x9E3779B97F4A7C15UL)); }
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64() { state += 0x9E3779B97F4A7C15UL; return Mix(state); }

    /// <summary>Uniform integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int Next(int minInclusive, int maxExclusive)
    {
        if (maxExclusive <= minInclusive) throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"expected max > min, found [{minInclusive}, {maxExclusive})");
        ulong range = (ulong)((long)maxExclusive - minInclusive);
        ulong limit = ulong.MaxValue - ulong.MaxValue % range;
        ulong r;
        do r = NextUInt64(); while (r >= limit);
        return (int)((long)minInclusive + (long)(r % range));
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(0, i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
