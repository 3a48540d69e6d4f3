// The one seeded RNG of SharpLens: SplitMix64, whose sequence is fixed by this file, not by the .NET runtime.
namespace SharpLens;

/// <summary>
/// SplitMix64: a tiny, portable RNG whose whole state is one ulong, so data order, masking, datasets and procedural
/// data are reproducible on every machine and .NET version (System.Random's sequence is not guaranteed).
/// </summary>
public struct SplitMix64(ulong state)
{
    public ulong State = state;

    /// <summary>The golden-ratio increment of the state.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>Next 64 random bits.</summary>
    public ulong Next() => Finalize(State += Gamma);

    /// <summary>SplitMix64's output function (Stafford's mix13).</summary>
    public static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) (rejection sampling, no modulo bias); n ≥ 1.</summary>
    public ulong NextBelow(ulong n)
    {
        ulong limit = ulong.MaxValue - ulong.MaxValue % n;
        ulong r;
        do r = Next(); while (r >= limit);
        return r % n;
    }

    /// <summary>Uniform in [0, n) (rejection sampling, no modulo bias).</summary>
    public int NextInt(int n) => (int)NextBelow((ulong)n);

    /// <summary>Fisher–Yates shuffle in place (from the last item down, j uniform in [0, i]).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
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
