// Masked-token accuracy of an MLM encoder on held-out functions (the pretraining score of SSM-Interpret's models).
using SharpLens.Code.Datasets;
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>The masked-token accuracy on one functions file.</summary>
public sealed record MlmEvalRow(string File, int Functions, long MaskedTokens, double Accuracy, double Loss);

/// <summary>
/// Each function (its first seqLen tokens) is masked by the training stream's rule (<see cref="DataStream.Mask"/>, 15%
/// of the non-special tokens, 80/10/10, seeded by the function's index), and the model's argmax at every selected
/// position is compared with the original token; accuracy and mean cross-entropy are over all selected positions.
/// </summary>
public static class MlmEval
{
    public static MlmEvalRow Evaluate(HookedModel model, TrainTokenizer tok, string file, int seqLen, long seed, int maxFunctions)
    {
        var units = FunctionUnit.ReadJsonl(file).Take(maxFunctions).ToList();
        if (units.Count == 0) throw new InvalidDataException($"{file}: expected functions to evaluate masked-token accuracy on, found none");
        int pad = tok.PadId ?? 0;
        long masked = 0, correct = 0;
        double lossSum = 0;
        model.eval();
        using var _ = no_grad();
        for (int start = 0; start < units.Count; start += 32)
        {
            using var scope = NewDisposeScope();
            var rows = units.Skip(start).Take(32).Select(u => tok.Encode(u.Code).Take(seqLen).Select(i => (long)i).ToArray()).ToList();
            int len = Math.Max(1, rows.Max(r => r.Length));
            var ids = new long[rows.Count * len];
            var labels = Enumerable.Repeat((long)DataStream.IgnoreIndex, rows.Count * len).ToArray();
            var mask = new long[rows.Count * len];
            for (int i = 0; i < rows.Count; i++)
            {
                var row = rows[i];
                var lab = new long[row.Length];
                DataStream.Mask(seed, start + i, tok, row, lab);
                for (int j = 0; j < len; j++)
                {
                    ids[i * len + j] = j < row.Length ? row[j] : pad;
                    mask[i * len + j] = j < row.Length ? 1 : 0;
                    if (j < row.Length) labels[i * len + j] = lab[j];
                }
            }
            var logits = model.Forward(tensor(ids, [rows.Count, len]), tensor(mask, [rows.Count, len])).to(ScalarType.Float32);   // [batch, pos, d_vocab]
            var flat = logits.reshape(-1, logits.shape[2]);
            var target = tensor(labels);
            var selected = target.ne(DataStream.IgnoreIndex);
            long n = selected.sum().item<long>();
            if (n == 0) continue;
            masked += n;
            correct += flat.argmax(-1).eq(target).logical_and(selected).sum().item<long>();
            lossSum += nn.functional.cross_entropy(flat, target, ignore_index: DataStream.IgnoreIndex, reduction: nn.Reduction.Sum).item<float>();
        }
        if (masked == 0) throw new InvalidDataException($"{file}: no token was selected for masking in {units.Count} functions");
        return new MlmEvalRow(file, units.Count, masked, correct / (double)masked, lossSum / masked);
    }
}
