// Ablations against weight surgery and runs on other prompts; mean over a reference set of one is a no-op.
using SharpLens.Analysis;
using SharpLens.Architectures.Llama;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Analysis;

public class AblationsTests
{
    [FixtureFact]
    public void Zero_ablating_a_head_equals_zeroing_its_output_projection_columns()
    {
        using var model = (LlamaForCausalLM)ModelLoader.Load(Fixtures.Model("llama-gqa"));
        using var scope = NewDisposeScope();
        var ids = LogitLensTests.Ids(model.Info.DVocab, 2, 6);
        int layer = model.Info.NLayers - 1, head = 1, dh = model.Info.DHead;
        var ablated = model.RunWithHooks(ids, [Ablations.Zero(new Component(HookName.Z(layer), head))]);
        var o = model.model.Blocks.ElementAt(layer).self_attn.o_proj.weight;
        using (no_grad()) o.narrow(1, head * dh, dh).zero_();
        TensorAssert.Close(model.Run(ids), ablated, 1e-5, "hook_z zeroed vs o_proj columns zeroed");
    }

    [FixtureFact]
    public void Mean_over_the_run_itself_is_a_no_op_and_resampling_the_embedding_runs_the_other_prompt()
    {
        using var model = ModelLoader.Load(Fixtures.Model("llama-gqa"));
        using var scope = NewDisposeScope();
        var ids = LogitLensTests.Ids(model.Info.DVocab, 1, 6);
        var other = LogitLensTests.Ids(model.Info.DVocab, 1, 6, seed: 9);
        var components = new[] { new Component(HookName.Z(0), 2), new Component(HookName.MlpOut(1)), new Component(HookName.AttnOut(0)) };
        using var cache = model.RunWithCache(ids, HookFilter.Names(components.Select(c => c.Hook).Append(HookName.ResidPre(0)).ToArray()));
        foreach (var c in components)
            TensorAssert.Close(cache.Logits!, model.RunWithHooks(ids, [Ablations.Mean(c, Ablations.MeanOf(cache, c))]), 1e-5, $"mean-ablating {c} over itself");
        using var otherCache = model.RunWithCache(other, HookFilter.Names(HookName.ResidPre(0)));
        var resampled = model.RunWithHooks(ids, [Ablations.Resample(new Component(HookName.ResidPre(0)), otherCache[HookName.ResidPre(0)])]);
        TensorAssert.Close(otherCache.Logits!, resampled, 1e-5, "resid_pre 0 resampled from the other prompt");
        var onePosition = model.RunWithHooks(ids, [Ablations.Zero(new Component(HookName.MlpOut(0)), [5])]);
        TensorAssert.Close(cache.Logits!.narrow(1, 0, 5), onePosition.narrow(1, 0, 5), 1e-6, "zeroing the last position leaves earlier ones (causal)");
        Assert.True((cache.Logits!.select(1, 5) - onePosition.select(1, 5)).abs().max().item<float>() > 1e-4);
        Assert.Equal(0, model.Hooks.Count);
    }

    [Fact]
    public void MeanOf_weights_rows_by_the_mask()
    {
        using var scope = NewDisposeScope();
        var cache = new ActivationCache();
        cache.Add(HookName.MlpOut(0), tensor(new float[] { 1, 2, 3, 10, 20, 30 }).reshape(2, 3, 1));
        var mask = tensor(new long[] { 1, 1, 1, 0, 1, 1 }).reshape(2, 3);
        var c = new Component(HookName.MlpOut(0));
        TensorAssert.Close(tensor(new float[] { 1, 11, 16.5f }).reshape(3, 1), Ablations.MeanOf(cache, c, mask: mask), 1e-6, "per position");
        TensorAssert.Close(tensor(new float[] { 56f / 5 }), Ablations.MeanOf(cache, c, overPositions: true, mask: mask), 1e-5, "over positions");
        cache.Dispose();
    }
}
