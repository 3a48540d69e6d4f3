// An open-addressing hash table from a (left id, right id) pair to (rank, merged id): the BPE hot-path lookup.
namespace SharpLens.Tokenization;

internal sealed class PairTable
{
    readonly long[] keys;     // -1 = empty
    readonly int[] ranks;
    readonly int[] merged;
    readonly int mask;

    public int Count { get; private set; }

    public PairTable(int expected)
    {
        int size = 16;
        while (size < expected * 2) size <<= 1;
        keys = new long[size]; ranks = new int[size]; merged = new int[size];
        Array.Fill(keys, -1L);
        mask = size - 1;
    }

    static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    static int Slot(long key, int mask) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15)) >> 32) & mask;

    /// <summary>Adds the pair unless present (the first rank of a duplicated pair wins, as in HF); false if present.</summary>
    public bool TryAdd(int a, int b, int rank, int newId)
    {
        long key = Key(a, b);
        for (int i = Slot(key, mask); ; i = (i + 1) & mask)
        {
            if (keys[i] == key) return false;
            if (keys[i] != -1) continue;
            keys[i] = key; ranks[i] = rank; merged[i] = newId; Count++;
            return true;
        }
    }

    public bool TryGet(int a, int b, out int rank, out int newId)
    {
        long key = Key(a, b);
        for (int i = Slot(key, mask); ; i = (i + 1) & mask)
        {
            long k = keys[i];
            if (k == key) { rank = ranks[i]; newId = merged[i]; return true; }
            if (k == -1) { rank = 0; newId = -1; return false; }
        }
    }

    /// <summary>Every id that appears on either side of some pair.</summary>
    public HashSet<int> Members()
    {
        var set = new HashSet<int>();
        foreach (var k in keys) if (k != -1) { set.Add((int)(k >> 32)); set.Add((int)k); }
        return set;
    }
}
