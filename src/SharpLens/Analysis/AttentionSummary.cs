// Attention summaries: one query position's attention rows per layer and head, and attention summed by token class.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Analysis;

/// <summary>Pattern rows and attention to token classes, from cached hook_pattern activations.</summary>
public static class AttentionSummary
{
    /// <summary>
    /// Rows of one query's attention [batch, head, key] as float[batch][head][key], keeping for row b the keys
    /// [<paramref name="offsets"/>[b], +<paramref name="lengths"/>[b]) (drops left padding).
    /// </summary>
    public static float[][][] Rows(Tensor patternAtQuery, IReadOnlyList<int> offsets, IReadOnlyList<int> lengths)
    {
        int nb = (int)patternAtQuery.shape[0], nh = (int)patternAtQuery.shape[1], w = (int)patternAtQuery.shape[2];
        var data = patternAtQuery.to(ScalarType.Float32).data<float>().ToArray();
        return Enumerable.Range(0, nb).Select(b => Enumerable.Range(0, nh)
            .Select(h => data.AsSpan((b * nh + h) * w + offsets[b], lengths[b]).ToArray()).ToArray()).ToArray();
    }

    /// <summary>Attention of every layer and head from <paramref name="query"/> (negative counts from the end) in row <paramref name="row"/>: [layer][head][key].</summary>
    public static float[][][] Rows(ActivationCache cache, int nLayers, int query, int row = 0)
    {
        using var scope = NewDisposeScope();
        return Enumerable.Range(0, nLayers).Select(l =>
        {
            var pattern = cache[HookName.Pattern(l)];                                        // [batch, head, q, k]
            long len = pattern.shape[2], q = query < 0 ? len + query : query;
            if (q < 0 || q >= len) throw new ArgumentException($"query position must lie in [−{len}, {len}), found {query}");
            return Rows(pattern.narrow(0, row, 1).select(2, q), [0], [(int)q + 1])[0];
        }).ToArray();
    }

    /// <summary>A row's attention summed per key class: classes[i] ∈ [0, <paramref name="nClasses"/>) is key i's class.</summary>
    public static float[] ByClass(IReadOnlyList<float> row, IReadOnlyList<int> classes, int nClasses)
    {
        var s = new float[nClasses];
        for (int i = 0; i < row.Count; i++) s[classes[i]] += row[i];
        return s;
    }

    /// <summary>For each head of <paramref name="rows"/> ([layer][head][key]), the key it attends to most and that weight.</summary>
    public static (int Key, float Weight)[][] Strongest(float[][][] rows) =>
        rows.Select(layer => layer.Select(r => r.Length == 0 ? (-1, 0f) : r.Select((w, i) => (i, w)).MaxBy(t => t.w)).ToArray()).ToArray();
}
