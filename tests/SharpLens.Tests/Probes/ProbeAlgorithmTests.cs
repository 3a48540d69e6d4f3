// Linear probe, SVM separability and DirectProbe on synthetic data with known answers (separable, XOR, random labels).
using SharpLens.Analysis.Probes;

namespace SharpLens.Tests.Probes;

public sealed class ProbeAlgorithmTests
{
    [Fact]
    public void Linear_probe_separates_blobs_and_stays_near_chance_on_random_labels()
    {
        var blobs = LinearProbe.Train(SyntheticData.ThreeBlobs(60, seed: 1));
        Assert.True(blobs.TestAccuracy >= 0.99, $"blobs test accuracy {blobs.TestAccuracy}");
        Assert.True(blobs.TrainAccuracy >= 0.99 && blobs.MacroF1 >= 0.99, $"train {blobs.TrainAccuracy}, F1 {blobs.MacroF1}");

        // 3 balanced-ish classes, 20 noise dims, 120 test rows: chance is 1/3, and a 0.5 bound is > 3 standard errors above it
        var noise = LinearProbe.Train(SyntheticData.RandomLabels(600, 20, seed: 2));
        Assert.True(noise.TestAccuracy < 0.5, $"random-label test accuracy {noise.TestAccuracy}");
    }

    [Fact]
    public void Svm_certifies_separable_sets_and_rejects_overlapping_ones()
    {
        float[][] x = [[0, 0], [1, 0], [0, 1], [3, 3], [4, 3], [3, 4], [0.5f, 0.5f], [3.5f, 3.5f]];
        Assert.True(LinearSvm.Separable(x, [0, 1, 2], [3, 4, 5], new SvmOptions(), out _));
        // XOR corners: {(0,0),(1,1)} vs {(1,0),(0,1)} cannot be split by a line
        float[][] xor = [[0, 0], [1, 1], [1, 0], [0, 1]];
        Assert.False(LinearSvm.Separable(xor, [0, 1], [2, 3], new SvmOptions(), out _));
        // a point of one set inside the other's hull
        Assert.False(LinearSvm.Separable(x, [0, 1, 2], [6], new SvmOptions(), out _));
    }

    [Theory]
    [InlineData(DirectProbeMode.Exact)]
    [InlineData(DirectProbeMode.KMeans)]
    public void DirectProbe_finds_one_cluster_per_label_on_separable_blobs(DirectProbeMode mode)
    {
        var data = SyntheticData.ThreeBlobs(25, seed: 3);
        var r = DirectProbe.Run(data, new DirectProbeOptions { Mode = mode, ClustersPerLabel = 6 });
        Assert.Equal(3, r.Clusters);
        Assert.True(r.Separable);
        Assert.False(r.BudgetExhausted);
        Assert.Equal(1.0, r.TestAccuracy, 6);
        Assert.Equal(1.0, r.TestAccuracyCentroid, 6);
        Assert.True(r.MinDistance > 2 && r.MeanDistance >= r.MinDistance, $"min {r.MinDistance}, mean {r.MeanDistance}");
        Assert.Equal(data.IsTrain.Count(t => t), r.FinalClusters.Sum(c => c.Members.Length));
    }

    [Theory]
    [InlineData(DirectProbeMode.Exact)]
    [InlineData(DirectProbeMode.KMeans)]
    public void DirectProbe_needs_more_clusters_than_labels_on_xor(DirectProbeMode mode)
    {
        var data = SyntheticData.Xor(15, seed: 4);
        var r = DirectProbe.Run(data, new DirectProbeOptions { Mode = mode, ClustersPerLabel = 6 });
        Assert.True(r.Clusters > 2, $"{r.Clusters} clusters");
        // the first diagonal to merge (its hull is a thin band) blocks the other: 3 clusters, one label split in two
        Assert.Equal(3, r.Clusters);
        Assert.True(r.RejectedMerges > 0);
        Assert.True(r.TestAccuracy >= 0.95, $"nearest-cluster test accuracy {r.TestAccuracy}");
        Assert.Equal(2, r.FinalClusters.GroupBy(c => c.Label).Max(g => g.Count()));
    }

    [Fact]
    public void Exact_mode_refuses_large_inputs_and_metrics_are_hand_checked()
    {
        var data = SyntheticData.ThreeBlobs(30, seed: 5);
        var e = Assert.Throws<ArgumentException>(() => DirectProbe.Run(data, new DirectProbeOptions { Mode = DirectProbeMode.Exact, ExactLimit = 10 }));
        Assert.Contains("kmeans", e.Message);
        // truth 0 0 1 1 2, predicted 0 1 1 1 0: F1(0) = 2·1/(2+1+1) = .5, F1(1) = 2·2/(4+1) = .8, F1(2) = 0
        Assert.Equal((0.5 + 0.8 + 0) / 3, Metrics.MacroF1([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3), 12);
        Assert.Equal(0.6, Metrics.Accuracy([0, 0, 1, 1, 2], [0, 1, 1, 1, 0]), 12);
    }
}
