// The shared BPE merge loop: a linked list of symbols and a priority queue of adjacent pairs, O(n log n) per word.
namespace SharpLens.Tokenization;

/// <summary>Decides whether two adjacent symbols merge, with which priority (lower merges first) and into which id.</summary>
internal interface IPairRanker
{
    /// <summary>Left symbol covers units [leftStart, mid), right symbol [mid, rightEnd).</summary>
    bool TryRank(int leftId, int rightId, int leftStart, int mid, int rightEnd, out float priority, out int newId);
}

/// <summary>
/// Symbols of one word, each covering a range of units (bytes for byte-level BPE, UTF-16 chars otherwise) and a span of
/// chars of the word. Merging repeatedly takes the pair with the lowest priority, the leftmost on ties — exactly HF's
/// Word::merge_all (priority = merge rank) and sentencepiece's bpe_model.cc agenda (priority = -score).
/// </summary>
internal sealed class SymbolList
{
    public int Count;
    public int[] Id = new int[16], UnitStart = new int[16], UnitEnd = new int[16], CharStart = new int[16], CharEnd = new int[16];

    public void Clear() => Count = 0;

    public void Add(int id, int unitStart, int unitEnd, int charStart, int charEnd)
    {
        if (Count == Id.Length)
        {
            int n = Count * 2;
            Array.Resize(ref Id, n); Array.Resize(ref UnitStart, n); Array.Resize(ref UnitEnd, n);
            Array.Resize(ref CharStart, n); Array.Resize(ref CharEnd, n);
        }
        Id[Count] = id; UnitStart[Count] = unitStart; UnitEnd[Count] = unitEnd; CharStart[Count] = charStart; CharEnd[Count] = charEnd;
        Count++;
    }

    const int LinearLimit = 192;
    float[] pairPriority = new float[16];
    int[] pairNewId = new int[16];
    int[] linkNext = new int[16], linkPrev = new int[16];

    /// <summary>Runs the merges in place; afterwards symbols [0, Count) are the final tokens in order.</summary>
    public void MergeAll<T>(ref T ranker) where T : struct, IPairRanker
    {
        if (Count < 2) return;
        if (Count <= LinearLimit) { MergeLinear(ref ranker); return; }
        MergeWithQueue(ref ranker);
    }

    /// <summary>
    /// Short words: keep each adjacent pair's priority in an array and scan the linked symbols for the minimum (the
    /// first one on ties, i.e. the leftmost) — the same merge order as the queue, without its overhead.
    /// </summary>
    void MergeLinear<T>(ref T ranker) where T : struct, IPairRanker
    {
        int n = Count;
        if (pairPriority.Length < n) { pairPriority = new float[Id.Length]; pairNewId = new int[Id.Length]; linkNext = new int[Id.Length]; linkPrev = new int[Id.Length]; }
        var pri = pairPriority; var merged = pairNewId; var next = linkNext; var prev = linkPrev;
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        for (int i = 0; i + 1 < n; i++) Rank(ref ranker, i, i + 1, pri, merged);
        pri[n - 1] = float.PositiveInfinity;
        while (true)
        {
            int best = -1;
            float bestPriority = float.PositiveInfinity;
            for (int i = 0; i >= 0; i = next[i]) if (pri[i] < bestPriority) { bestPriority = pri[i]; best = i; }
            if (best < 0) break;
            int r = next[best];
            Id[best] = merged[best]; UnitEnd[best] = UnitEnd[r]; CharEnd[best] = CharEnd[r];
            next[best] = next[r];
            if (next[r] >= 0) prev[next[r]] = best;
            if (prev[best] >= 0) Rank(ref ranker, prev[best], best, pri, merged);
            if (next[best] >= 0) Rank(ref ranker, best, next[best], pri, merged);
            else pri[best] = float.PositiveInfinity;
        }
        int w = 0;
        for (int i = 0; i >= 0; i = next[i])
        {
            Id[w] = Id[i]; UnitStart[w] = UnitStart[i]; UnitEnd[w] = UnitEnd[i]; CharStart[w] = CharStart[i]; CharEnd[w] = CharEnd[i];
            w++;
        }
        Count = w;
    }

    void Rank<T>(ref T ranker, int l, int r, float[] pri, int[] merged) where T : struct, IPairRanker
    {
        if (ranker.TryRank(Id[l], Id[r], UnitStart[l], UnitEnd[l], UnitEnd[r], out var priority, out var newId)) { pri[l] = priority; merged[l] = newId; }
        else pri[l] = float.PositiveInfinity;
    }

    void MergeWithQueue<T>(ref T ranker) where T : struct, IPairRanker
    {
        int n = Count;
        var next = new int[n];
        var prev = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; alive[i] = true; }
        var queue = new PriorityQueue<(int Left, int Right, int LeftEnd, int RightEnd, int NewId), long>(n);
        for (int i = 0; i + 1 < n; i++) TryPush(ref ranker, queue, i, i + 1);
        while (queue.TryDequeue(out var top, out _))
        {
            int l = top.Left, r = top.Right;
            if (!alive[l] || !alive[r] || next[l] != r || UnitEnd[l] != top.LeftEnd || UnitEnd[r] != top.RightEnd) continue;
            Id[l] = top.NewId; UnitEnd[l] = UnitEnd[r]; CharEnd[l] = CharEnd[r];
            alive[r] = false;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) TryPush(ref ranker, queue, prev[l], l);
            if (next[l] >= 0) TryPush(ref ranker, queue, l, next[l]);
        }
        int w = 0;
        for (int i = 0; i >= 0; i = next[i])
        {
            Id[w] = Id[i]; UnitStart[w] = UnitStart[i]; UnitEnd[w] = UnitEnd[i]; CharStart[w] = CharStart[i]; CharEnd[w] = CharEnd[i];
            w++;
        }
        Count = w;
    }

    void TryPush<T>(ref T ranker, PriorityQueue<(int, int, int, int, int), long> queue, int l, int r) where T : struct, IPairRanker
    {
        if (ranker.TryRank(Id[l], Id[r], UnitStart[l], UnitEnd[l], UnitEnd[r], out var priority, out var newId))
            queue.Enqueue((l, r, UnitEnd[l], UnitEnd[r], newId), ((long)SortableBits(priority) << 32) | (uint)l);
    }

    /// <summary>An int that orders like the float (for finite values): the queue key is (priority, position) in one long.</summary>
    static int SortableBits(float f)
    {
        int bits = BitConverter.SingleToInt32Bits(f == 0 ? 0f : f);   // -0 and +0 compare equal
        return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
    }
}
