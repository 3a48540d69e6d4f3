// Padding invariance (left and right) and bf16-vs-fp32 closeness for the Llama family.
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Core;

public class PaddingAndDtypeTests
{
    [FixtureTheory]
    [InlineData("llama-gqa", true)]
    [InlineData("llama-gqa", false)]
    [InlineData("stories260K", true)]
    public void Padded_batches_match_unpadded_runs_at_real_positions(string fixture, bool left)
    {
        using var model = ModelLoader.Load(Fixtures.Model(fixture));
        long[] a = [1, 5, 9, 17, 33, 2, 7], b = [1, 40, 3];
        int len = a.Length, pad = len - b.Length;
        long[] bPadded = left ? [.. Enumerable.Repeat(0L, pad), .. b] : [.. b, .. Enumerable.Repeat(0L, pad)];
        long[] mask = left ? [.. Enumerable.Repeat(0L, pad), .. Enumerable.Repeat(1L, b.Length)] : [.. Enumerable.Repeat(1L, b.Length), .. Enumerable.Repeat(0L, pad)];
        var ids = tensor(a.Concat(bPadded).ToArray()).reshape(2, len);
        var m = tensor(Enumerable.Repeat(1L, len).Concat(mask).ToArray()).reshape(2, len);
        var filter = HookFilter.Sites(Site.ResidPost, Site.AttnOut, Site.MlpOut);
        using var batch = model.RunWithCache(ids, filter, m);
        using var solo = model.RunWithCache(tensor(b).unsqueeze(0), filter);
        int off = left ? pad : 0;
        foreach (var name in solo.Names)
            TensorAssert.Close(solo[name][0], batch[name][1, off..(off + b.Length)], 1e-4, name);
        TensorAssert.Close(solo.Logits![0], batch.Logits![1, off..(off + b.Length)], 1e-4, "logits");
        using var soloA = model.Run(tensor(a).unsqueeze(0));
        TensorAssert.Close(soloA[0], batch.Logits![0], 1e-4, "unpadded row");
    }

    [FixtureFact]
    public void Bfloat16_run_is_close_to_float32()
    {
        // bf16 keeps 8 mantissa bits (relative step 2^-8 ≈ 0.4%); over 5 layers the logits of stories260K (|logit| ≲ 15)
        // drift by well under 0.5 — we assert 1.0 and that the greedy next token agrees on most positions.
        using var f32 = ModelLoader.Load(Fixtures.Model("stories260K"));
        using var bf16 = ModelLoader.Load(Fixtures.Model("stories260K"), new LoadOptions { DType = ScalarType.BFloat16 });
        Assert.Equal(ScalarType.BFloat16, bf16.DType);
        var ids = SafeTensorsFile.Open(Path.Combine(Fixtures.Model("stories260K"), "reference.safetensors")).Load("input_ids").clone();
        using var a = f32.Run(ids);
        using var b = bf16.Run(ids).to(ScalarType.Float32);
        TensorAssert.Close(a, b, 1.0, "bf16 logits");
        var agree = a.argmax(-1).eq(b.argmax(-1)).to(ScalarType.Float32).mean().item<float>();
        Assert.True(agree >= 0.8f, $"argmax agreement {agree}");
    }
}
