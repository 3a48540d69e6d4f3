// Multinomial logistic-regression probe (TorchSharp, full-batch Adam, L2, standardised features) and the shared metrics.
using static TorchSharp.torch;

namespace SharpLens.Analysis.Probes;

/// <summary>Options of <see cref="LinearProbe.Train"/>.</summary>
public sealed record LinearProbeOptions
{
    /// <summary>Full-batch Adam steps.</summary>
    public int Steps { get; init; } = 300;
    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 0.05;
    /// <summary>L2 penalty λ/2·‖W‖² added to the mean cross-entropy (bias not penalised).</summary>
    public double L2 { get; init; } = 1e-3;
    /// <summary>Seed for libtorch (the weights start at zero, so the result is deterministic anyway).</summary>
    public long Seed { get; init; } = 0;
}

/// <summary>Accuracy on both splits, macro-F1 on the test split, and the final training loss.</summary>
internal sealed record LinearProbeResult(double TrainAccuracy, double TestAccuracy, double MacroF1, double FinalLoss, int[] TestPredictions);

/// <summary>
/// Logistic regression over the dataset's classes: features standardised with the train split's mean and standard
/// deviation, weights and bias from zero, full-batch Adam on mean cross-entropy + L2. Deviation from the usual
/// L-BFGS fit: Adam for a fixed number of steps (simpler, deterministic, and the optimum is the same convex one).
/// </summary>
internal static class LinearProbe
{
    /// <summary>Trains on the train split and evaluates on both splits.</summary>
    public static LinearProbeResult Train(ProbeDataset data, LinearProbeOptions? options = null)
    {
        options ??= new LinearProbeOptions();
        var (xTrain, yTrain, xTest, yTest) = Split(data);
        if (xTrain.Length == 0 || xTest.Length == 0) throw new ArgumentException($"expected train and test pairs, found {xTrain.Length} and {xTest.Length}");
        int d = xTrain[0].Length, k = data.Classes.Length;
        using var scope = NewDisposeScope();
        random.manual_seed(options.Seed);
        var tr = Matrix(xTrain);                                                     // [n_train, d]
        var te = Matrix(xTest);
        var mean = tr.mean([0], keepdim: true);
        var std = tr.std(0, keepdim: true).clamp_min(1e-6);
        tr = (tr - mean) / std; te = (te - mean) / std;
        var ytr = tensor(yTrain.Select(i => (long)i).ToArray());
        var w = new TorchSharp.Modules.Parameter(zeros(d, k));                                  // [d, k]
        var b = new TorchSharp.Modules.Parameter(zeros(k));
        var opt = optim.Adam([w, b], options.LearningRate);
        double loss = double.NaN;
        for (int step = 0; step < options.Steps; step++)
        {
            using var inner = NewDisposeScope();
            opt.zero_grad();
            var l = nn.functional.cross_entropy(tr.matmul(w) + b, ytr) + 0.5 * options.L2 * w.pow(2).sum();
            l.backward();
            opt.step();
            loss = l.item<float>();
        }
        using var _ = no_grad();
        var predTrain = tr.matmul(w).add(b).argmax(1).data<long>().Select(x => (int)x).ToArray();
        var predTest = te.matmul(w).add(b).argmax(1).data<long>().Select(x => (int)x).ToArray();
        return new LinearProbeResult(Metrics.Accuracy(yTrain, predTrain), Metrics.Accuracy(yTest, predTest), Metrics.MacroF1(yTest, predTest, k), loss, predTest);
    }

    internal static Tensor Matrix(float[][] rows)
    {
        int n = rows.Length, d = n == 0 ? 0 : rows[0].Length;
        var flat = new float[n * d];
        for (int i = 0; i < n; i++) rows[i].CopyTo(flat, i * d);
        return tensor(flat).view(n, d);
    }

    /// <summary>Train/test rows and class indices (positions in <see cref="ProbeDataset.Classes"/>).</summary>
    public static (float[][] XTrain, int[] YTrain, float[][] XTest, int[] YTest) Split(ProbeDataset data)
    {
        var index = data.Classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        var tr = Enumerable.Range(0, data.X.Length).Where(i => data.IsTrain[i]).ToArray();
        var te = Enumerable.Range(0, data.X.Length).Where(i => !data.IsTrain[i]).ToArray();
        return (tr.Select(i => data.X[i]).ToArray(), tr.Select(i => index[data.Labels[i]]).ToArray(),
            te.Select(i => data.X[i]).ToArray(), te.Select(i => index[data.Labels[i]]).ToArray());
    }
}

/// <summary>Classification metrics over class indices.</summary>
internal static class Metrics
{
    /// <summary>Fraction of equal entries (NaN when empty).</summary>
    public static double Accuracy(int[] truth, int[] predicted) =>
        truth.Length == 0 ? double.NaN : truth.Zip(predicted).Count(p => p.First == p.Second) / (double)truth.Length;

    /// <summary>Unweighted mean of per-class F1 over the classes that occur in truth or predictions (F1 = 0 when P + R = 0).</summary>
    public static double MacroF1(int[] truth, int[] predicted, int classes)
    {
        var f1s = new List<double>();
        for (int c = 0; c < classes; c++)
        {
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < truth.Length; i++)
            {
                if (predicted[i] == c && truth[i] == c) tp++;
                else if (predicted[i] == c) fp++;
                else if (truth[i] == c) fn++;
            }
            if (tp + fp + fn == 0) continue;
            f1s.Add(tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn));
        }
        return f1s.Count == 0 ? double.NaN : f1s.Average();
    }
}
