// Greedy accuracy of a causal model on the closing-parenthesis template (STUDIES.md, study 1), per number of missing parens.
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>Accuracy at one depth (number of closing parens the prompt is missing).</summary>
public sealed record ParenDepthResult(int Depth, int Correct, int Total, string Answer, int AnswerId)
{
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;
}

/// <summary>
/// Prompt = <c>#print the string {n}\nprint(</c> + <c>str(</c>·(d−1) + <c>{n}</c>, n uniform in 100–999 (seeded);
/// label = the single token <c>)</c>·d. A prompt counts as correct when the argmax over the full vocabulary at the
/// last position is that token (greedy). Depth d = k + 1 for k <c>str(</c> wrappers, as in the template's full text.
/// </summary>
public static class ParenEval
{
    public static string Prompt(int n, int depth) => $"#print the string {n}\nprint(" + string.Concat(Enumerable.Repeat("str(", depth - 1)) + n;

    public static IReadOnlyList<ParenDepthResult> Run(HookedModel model, Func<string, int[]> encode, Func<string, int?> tokenToId,
        int perDepth = 200, long seed = 2025, int maxDepth = 4)
    {
        var results = new List<ParenDepthResult>();
        var rng = new SplitMix64(SplitMix64.Mix(seed, 0x9A7E));
        for (int depth = 1; depth <= maxDepth; depth++)
        {
            var answer = new string(')', depth);
            int id = tokenToId(answer) ?? throw new InvalidDataException($"'{answer}' is not a single token of this tokenizer; the paren evaluation needs it to be");
            var prompts = Enumerable.Range(0, perDepth).Select(_ => encode(Prompt(100 + rng.NextInt(900), depth))).ToList();
            int correct = 0;
            foreach (var group in prompts.GroupBy(p => p.Length))            // equal lengths batch without padding
            {
                var rows = group.ToList();
                using var scope = NewDisposeScope();
                var ids = tensor(rows.SelectMany(r => r.Select(t => (long)t)).ToArray(), [rows.Count, group.Key]);
                var logits = model.Run(ids);                                          // [batch, pos, d_vocab]
                var predicted = logits[.., -1, ..].argmax(-1);                        // [batch]
                correct += (int)predicted.eq(id).sum().item<long>();
            }
            results.Add(new ParenDepthResult(depth, correct, perDepth, answer, id));
        }
        return results;
    }
}
