// DirectProbe (Zhou & Srikumar 2021): greedy same-label cluster merging under linear separability, exact or over k-means.
using System.Diagnostics;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Probes;

/// <summary>Where the greedy merge starts: every training vector (exact) or k-means clusters per label (scalable).</summary>
public enum DirectProbeMode { Exact, KMeans }

/// <summary>Options of <see cref="DirectProbe.Run"/>.</summary>
public sealed record DirectProbeOptions
{
    /// <summary>Starting clusters: singletons (exact) or seeded k-means per label.</summary>
    public DirectProbeMode Mode { get; init; } = DirectProbeMode.KMeans;
    /// <summary>k-means clusters per label (M) in <see cref="DirectProbeMode.KMeans"/> mode.</summary>
    public int ClustersPerLabel { get; init; } = 64;
    /// <summary>Lloyd iterations of k-means.</summary>
    public int KMeansIterations { get; init; } = 25;
    /// <summary>Exact mode refuses more training vectors than this (memory: an n × n Gram matrix of floats with shortcuts).</summary>
    public int ExactLimit { get; init; } = 8000;
    /// <summary>
    /// Exact shortcuts in the merge loop (inherited rejections, centroid certificates, cached separators; see
    /// <see cref="DirectProbeMerge"/>): same decisions as the published loop whenever the SVM answers exactly, far
    /// fewer solves. Off: the published algorithm, every separability test an SVM solve.
    /// </summary>
    public bool Shortcuts { get; init; } = true;
    /// <summary>Separability test.</summary>
    public SvmOptions Svm { get; init; } = new();
    /// <summary>Budget of SVM solves; when spent the merge stops and the result is flagged (cluster count is then an upper bound).</summary>
    public int MaxSolves { get; init; } = 200_000;
    /// <summary>Seed of k-means++.</summary>
    public long Seed { get; init; } = 0;
}

/// <summary>A final cluster: its label and the training rows (indices into the train split) it holds.</summary>
public sealed record ProbeCluster(string Label, int[] Members);

/// <summary>
/// DirectProbe outcome: final clusters (== labels ⇔ the training set is linearly separable per label), distances
/// between clusters of different labels (minimum point-to-point distance per cluster pair: min and mean over pairs),
/// test accuracy / macro-F1 by the nearest cluster (nearest training point, see <see cref="DirectProbe"/>) and by the
/// nearest cluster centroid, and bookkeeping.
/// </summary>
public sealed record DirectProbeResult(int Clusters, int Labels, int InitialClusters, int Merges, int RejectedMerges, int SvmSolves,
    bool BudgetExhausted, double MinDistance, double MeanDistance, double TestAccuracy, double MacroF1, double TestAccuracyCentroid,
    double Seconds, IReadOnlyList<ProbeCluster> FinalClusters)
{
    /// <summary>Whether every label ended as one cluster.</summary>
    public bool Separable => Clusters == Labels;
    /// <summary>Separability tests settled without an SVM solve (centroid certificates and cached separators; 0 without shortcuts).</summary>
    public int ShortcutTests { get; init; }
    /// <summary>
    /// Rejections decided by an SVM that ran out of <see cref="SvmOptions.MaxEpochs"/> without converging: the sets may
    /// still be barely separable (a false negative), so the cluster count is then an upper bound; raise MaxEpochs to settle them.
    /// </summary>
    public int UncertainRejections { get; init; }
}

/// <summary>
/// Start with clusters per label; repeatedly take the closest same-label pair (Euclidean distance of centroids; lazy
/// priority queue) and merge it if the union is linearly separable (<see cref="LinearSvm"/>) from every current cluster
/// of another label; a rejected pair is never retried (other clusters only grow, so it cannot become separable).
/// Exact mode starts from singletons as the paper does. The loop and its exact shortcuts are in <see cref="DirectProbeMerge"/>.
/// Deviation (kmeans mode): starting clusters are seeded k-means clusters of each label, which are not themselves
/// checked; they cut the O(n²) solves to O(M²·labels) but may overlap other labels, so the count can differ from exact.
/// Prediction: a test vector takes the label of the cluster holding its nearest training vector (distance to a cluster
/// = distance to its nearest point; this is 1-nearest-neighbour over training vectors, the clusters do not change it),
/// and, as a cluster-dependent second figure, the label of the nearest centroid. Hull distances (an LP/QP) are not computed.
/// </summary>
public static class DirectProbe
{
    /// <summary>Runs DirectProbe on the train split of <paramref name="data"/> and evaluates on its test split.</summary>
    public static DirectProbeResult Run(ProbeDataset data, DirectProbeOptions? options = null, Action<string>? progress = null)
    {
        options ??= new DirectProbeOptions();
        var sw = Stopwatch.StartNew();
        var (x, y, xTest, yTest) = LinearProbe.Split(data);
        if (x.Length == 0) throw new ArgumentException("expected training pairs, found none");
        if (options.Mode == DirectProbeMode.Exact && x.Length > options.ExactLimit)
            throw new ArgumentException($"exact DirectProbe holds an n × n Gram matrix and needs O(n²) separability tests: expected at most {options.ExactLimit} training vectors, found {x.Length} (use kmeans mode)");
        int k = data.Classes.Length;
        var members = new List<int[]>();
        var label = new List<int>();
        for (int c = 0; c < k; c++)
        {
            var rows = Enumerable.Range(0, x.Length).Where(i => y[i] == c).ToArray();
            if (rows.Length == 0) continue;
            var groups = options.Mode == DirectProbeMode.Exact ? rows.Select(r => new[] { r }).ToList()
                : KMeans.Cluster(x, rows, options.ClustersPerLabel, options.KMeansIterations, options.Seed + c);
            foreach (var g in groups) { members.Add(g); label.Add(c); }
        }
        var merge = new DirectProbeMerge(x, members, label, options);
        merge.Run(progress is null ? null : s => progress($"{s}, {sw.Elapsed.TotalSeconds:0.0} s in all"));
        (members, label) = (merge.Members, merge.Label);
        var (centroid, active) = (merge.Centroid, merge.Active);
        var final = Enumerable.Range(0, members.Count).Where(c => active[c]).ToList();
        var clusters = final.Select(c => new ProbeCluster(data.Classes[label[c]], members[c])).ToList();
        var (minD, meanD) = Distances(x, final.Select(c => members[c]).ToList(), final.Select(c => label[c]).ToList());
        var (pred, predCentroid) = Predict(x, y, xTest, final.Select(c => centroid[c]).ToList(), final.Select(c => label[c]).ToList());
        return new DirectProbeResult(final.Count, final.Select(c => label[c]).Distinct().Count(), merge.Initial, merge.Merges, merge.Rejected,
            merge.Solves, merge.Exhausted, minD, meanD, Metrics.Accuracy(yTest, pred), Metrics.MacroF1(yTest, pred, k),
            Metrics.Accuracy(yTest, predCentroid), sw.Elapsed.TotalSeconds, clusters) { ShortcutTests = merge.ShortcutTests, UncertainRejections = merge.UncertainRejections };
    }

    /// <summary>Min and mean over different-label cluster pairs of the minimum point-to-point distance (NaN with one label).</summary>
    static (double Min, double Mean) Distances(float[][] x, List<int[]> clusters, List<int> labels)
    {
        using var scope = NewDisposeScope();
        var all = LinearProbe.Matrix(x);                                             // [n_train, d]
        int n = clusters.Count;
        var best = new double[n, n];
        var idx = clusters.Select(m => tensor(m.Select(i => (long)i).ToArray())).ToArray();
        for (int i = 0; i < n; i++)
        {
            var rows = all.index_select(0, idx[i]);
            for (int j = i + 1; j < n; j++)
            {
                if (labels[i] == labels[j]) continue;
                using var dist = cdist(rows, all.index_select(0, idx[j]));
                best[i, j] = dist.min().item<float>();
            }
        }
        var values = new List<double>();
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) if (labels[i] != labels[j]) values.Add(best[i, j]);
        return values.Count == 0 ? (double.NaN, double.NaN) : (values.Min(), values.Average());
    }

    /// <summary>Nearest-training-point label and nearest-centroid label for every test vector.</summary>
    static (int[] Nearest, int[] Centroid) Predict(float[][] x, int[] y, float[][] xTest, List<double[]> centroids, List<int> labels)
    {
        if (xTest.Length == 0) return ([], []);
        using var scope = NewDisposeScope();
        var train = LinearProbe.Matrix(x);
        var test = LinearProbe.Matrix(xTest);
        var nearest = new int[xTest.Length];
        const int chunk = 512;
        for (int s = 0; s < xTest.Length; s += chunk)
        {
            using var inner = NewDisposeScope();
            var arg = cdist(test.narrow(0, s, Math.Min(chunk, xTest.Length - s)), train).argmin(1).data<long>().ToArray();
            for (int i = 0; i < arg.Length; i++) nearest[s + i] = y[arg[i]];
        }
        var cents = tensor(centroids.SelectMany(c => c.Select(v => (float)v)).ToArray()).view(centroids.Count, -1);
        var ca = cdist(test, cents).argmin(1).data<long>().ToArray();
        return (nearest, ca.Select(i => labels[(int)i]).ToArray());
    }
}
