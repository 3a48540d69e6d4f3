// An open-addressing hash table from a (left id, right id) pair to (rank, merged id): the BPE hot-path lookup.
namespace SharpLens.Tokenization;

internal sealed class PairTable
{
    // Key, rank and merged id side by side: one cache line per probe, which is what the merge loop waits on.
    struct Entry
    {
        public long Key;      // -1 = empty
        public int Rank;
        public int Merged;
    }

    readonly Entry[] entries;
    readonly int mask;

    public int Count { get; private set; }

    public PairTable(int expected)
    {
        int size = 16;
        while (size < expected * 2) size <<= 1;
        entries = new Entry[size];
        for (int i = 0; i < size; i++) entries[i].Key = -1;
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
            ref var e = ref entries[i];
            if (e.Key == key) return false;
            if (e.Key != -1) continue;
            e.Key = key; e.Rank = rank; e.Merged = newId; Count++;
            return true;
        }
    }

    public bool TryGet(int a, int b, out int rank, out int newId)
    {
        long key = Key(a, b);
        for (int i = Slot(key, mask); ; i = (i + 1) & mask)
        {
            ref var e = ref entries[i];
            if (e.Key == key) { rank = e.Rank; newId = e.Merged; return true; }
            if (e.Key == -1) { rank = 0; newId = -1; return false; }
        }
    }

    /// <summary>Every id that appears on either side of some pair.</summary>
    public HashSet<int> Members()
    {
        var set = new HashSet<int>();
        foreach (var e in entries) if (e.Key != -1) { set.Add((int)(e.Key >> 32)); set.Add((int)e.Key); }
        return set;
    }
}
