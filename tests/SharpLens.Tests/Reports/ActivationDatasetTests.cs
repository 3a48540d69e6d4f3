// CachePlan rows (hooks × positions × dtype) and activation datasets streamed to safetensors chunks.
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Reports;

public class ActivationDatasetTests
{
    // Two right-padded sequences (5 and 3 real tokens) and one left-padded (2 real tokens).
    static (Tensor Ids, Tensor Mask) Batch()
    {
        var ids = tensor(new long[] { 1, 5, 9, 17, 33, 1, 40, 3, 0, 0, 0, 0, 0, 7, 8 }).reshape(3, 5);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1 }).reshape(3, 5);
        return (ids, mask);
    }

    [FixtureFact]
    public void Plan_rows_are_the_cached_activations_at_the_real_tokens()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        var (ids, mask) = Batch();
        var plan = new CachePlan { Hooks = HookFilter.Sites(Site.ResidPost, Site.Z) };
        using var rows = plan.Run(model, ids, mask);
        using var full = model.RunWithCache(ids, HookFilter.Sites(Site.ResidPost, Site.Z), mask);
        Assert.Equal(10, rows.Count);                                             // 5 + 3 + 2 real tokens
        Assert.Equal(new long[] { 0, 0, 0, 0, 0, 1, 1, 1, 2, 2 }, rows.Sequence.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 0, 1, 2, 0, 1 }, rows.Position.data<long>().ToArray());
        var real = mask.flatten().nonzero().flatten();
        foreach (var name in full.Names)
            TensorAssert.Equal(full[name].flatten(0, 1).index_select(0, real), rows.Cache[name], name);
    }

    [FixtureFact]
    public void Last_position_rows_take_each_sequences_last_real_token_in_the_plans_dtype()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        var (ids, mask) = Batch();
        var plan = new CachePlan { Hooks = HookFilter.Site(Site.ResidPost), Positions = CachePositions.Last, DType = ScalarType.BFloat16 };
        using var rows = plan.Run(model, ids, mask);
        using var full = model.RunWithCache(ids, HookFilter.Site(Site.ResidPost), mask);
        Assert.Equal(new long[] { 4, 2, 1 }, rows.Position.data<long>().ToArray());
        var name = HookName.ResidPost(model.Info.NLayers - 1).ToString();
        Assert.Equal(ScalarType.BFloat16, rows.Cache[name].dtype);
        var expected = stack([full[name][0, 4], full[name][1, 2], full[name][2, 4]]).to(ScalarType.BFloat16);
        TensorAssert.Equal(expected, rows.Cache[name], name);
    }

    [FixtureFact]
    public void A_dataset_written_in_small_chunks_reads_back_as_the_concatenated_rows()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        using var tmp = new TempDir();
        var folder = tmp.File("acts");
        var plan = new CachePlan { Hooks = HookFilter.Names(HookName.ResidPost(0), HookName.MlpOut(1)) };
        var (ids, mask) = Batch();
        var expected = new List<Tensor>();
        ActivationDatasetInfo info;
        using (var writer = new ActivationDatasetWriter(folder, plan, chunkBytes: 1))      // a chunk per batch
        {
            for (int b = 0; b < 3; b++)
            {
                var shifted = (ids + b) * mask;
                using var rows = plan.Run(model, shifted, mask);
                expected.Add(rows.Cache[HookName.MlpOut(1)].clone());
                writer.Add(model, shifted, mask);
            }
            info = writer.Complete();
        }
        Assert.Equal(9, info.Prompts);
        Assert.Equal(30, info.Rows);
        Assert.Equal(3, info.Chunks.Count);
        Assert.Equal([0L, 3L, 6L], info.Chunks.Select(c => c.FirstPrompt));
        Assert.Equal(info.Rows * 2 * model.Info.DModel * 4, info.Bytes);
        var read = ActivationDataset.Read(folder);
        Assert.Equal(info.Rows, read.Rows);
        Assert.Equal(new long[] { model.Info.DModel }, read.Hooks[HookName.ResidPost(0).ToString()]);
        TensorAssert.Equal(cat(expected, 0), ActivationDataset.Load(folder, HookName.MlpOut(1).ToString()), "mlp_out rows");
        var prompts = ActivationDataset.Load(folder, "prompt").data<long>().ToArray();
        Assert.Equal([0L, 0, 0, 0, 0, 1, 1, 1, 2, 2], prompts.Take(10));
        Assert.Equal([6L, 6, 6, 6, 6, 7, 7, 7, 8, 8], prompts.Skip(20));
        Assert.Throws<IOException>(() => new ActivationDatasetWriter(folder, plan));
    }

    [FixtureFact]
    public void Plans_refuse_patterns_and_empty_selections()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        var (ids, mask) = Batch();
        var e = Assert.Throws<NotSupportedException>(() => new CachePlan { Hooks = HookFilter.Site(Site.Pattern) }.Run(model, ids, mask));
        Assert.Contains("hook_pattern", e.Message);
        Assert.Throws<ArgumentException>(() => new CachePlan { Hooks = HookFilter.Site(Site.MixerOut) }.Run(model, ids, mask));
        using var tmp = new TempDir();
        Assert.Throws<FileNotFoundException>(() => ActivationDataset.Read(tmp.Path));
    }
}
