// Greedy decoding (argmax at each step) over the full prefix — simple and exact; no KV cache.
using static TorchSharp.torch;

namespace SharpLens;

/// <summary>Text generation helpers.</summary>
public static class Generation
{
    /// <summary>
    /// Appends <paramref name="maxNewTokens"/> greedy tokens to one prompt; stops early on <paramref name="stopId"/>
    /// (not included). Recomputes the whole prefix each step: exact, and fast enough for the small models tested here.
    /// </summary>
    public static int[] Greedy(HookedModel model, IReadOnlyList<int> promptIds, int maxNewTokens, int? stopId = null)
    {
        if (promptIds.Count == 0) throw new ArgumentException("prompt must hold at least one token");
        var ids = promptIds.Select(i => (long)i).ToList();
        var generated = new List<int>();
        for (int i = 0; i < maxNewTokens; i++)
        {
            using var scope = NewDisposeScope();
            var logits = model.Run(tensor(ids.ToArray()).unsqueeze(0));                   // [1, pos, d_vocab]
            int next = (int)logits[0, -1].argmax().item<long>();
            if (next == stopId) break;
            generated.Add(next);
            ids.Add(next);
        }
        return generated.ToArray();
    }
}
