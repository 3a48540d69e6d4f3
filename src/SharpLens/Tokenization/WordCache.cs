// A bounded word -> tokens cache, one per thread (no locks on the hot path); cleared when full.
namespace SharpLens.Tokenization;

internal sealed class WordCache(int capacity = 200_000, int maxWordLength = 128)
{
    readonly ThreadLocal<Dictionary<string, int[]>> maps = new(() => new Dictionary<string, int[]>(StringComparer.Ordinal));

    public bool TryGet(string word, out int[] value) => maps.Value!.TryGetValue(word, out value!);

    public void Add(string word, int[] value)
    {
        if (word.Length > maxWordLength) return;
        var map = maps.Value!;
        if (map.Count >= capacity) map.Clear();
        map.TryAdd(word, value);
    }
}
