// Padding invariance: padded positions never leak into real ones (Mamba left/right padding; BiGS left and right).
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Ssm;

public class SsmPaddingTests
{
    const long Pad = 0;

    // float32 arithmetic in a different order (FFT length, batch) moves values by ~1e-6; 1e-4 is the parity bound
    const double Atol = 1e-4;

    static (Tensor Ids, Tensor Mask) Padded(long[] real, int pad, bool left)
    {
        var ids = Enumerable.Repeat(Pad, pad).ToList();
        var mask = Enumerable.Repeat(0L, pad).ToList();
        if (left) { ids.AddRange(real); mask.AddRange(real.Select(_ => 1L)); }
        else { ids.InsertRange(0, real); mask.InsertRange(0, real.Select(_ => 1L)); }
        // second row: the same sequence unpadded would differ in length, so batch it with a fully real row of other ids
        var other = Enumerable.Range(0, ids.Count).Select(i => (long)(3 + i % 7)).ToArray();
        return (tensor(ids.Concat(other).ToArray()).view(2, ids.Count), tensor(mask.Concat(other.Select(_ => 1L)).ToArray()).view(2, ids.Count));
    }

    static void AssertRealPositionsEqual(Tensor padded, Tensor unpadded, int offset, string name)
    {
        long n = unpadded.shape[1];
        var a = padded.select(0, 0).narrow(0, offset, n).to(ScalarType.Float64);
        var b = unpadded.select(0, 0).to(ScalarType.Float64);
        double max = (a - b).abs().max().item<double>();
        Assert.True(max <= Atol, $"{name}: max|Δ| = {max:g3} at real positions");
    }

    [FixtureTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Mamba_padding_does_not_change_real_positions_or_the_final_state(bool left)
    {
        // Given the mamba fixture and a 6-token sequence padded by 4 on one side
        using var model = ModelLoader.Load(Fixtures.Model("mamba"));
        var real = new long[] { 5, 17, 42, 9, 100, 63 };
        var (ids, mask) = Padded(real, 4, left);
        var sites = HookFilter.Glob("*hook_resid_post", "*mixer.hook_ssm_out", "*mixer.hook_dt", "*mixer.hook_ssm_state");
        // When both runs are cached
        using var alone = model.RunWithCache(tensor(real).unsqueeze(0), sites);
        using var padded = model.RunWithCache(ids, sites, attentionMask: mask);
        // Then every real position and the final SSM state equal the unpadded run
        int offset = left ? 4 : 0;
        foreach (var name in alone.Names.Where(n => !n.EndsWith("hook_ssm_state")))
            AssertRealPositionsEqual(padded[name], alone[name], offset, name);
        AssertRealPositionsEqual(padded.Logits!, alone.Logits!, offset, "logits");
        foreach (var name in alone.Names.Where(n => n.EndsWith("hook_ssm_state")))
        {
            double max = (padded[name].select(0, 0) - alone[name].select(0, 0)).abs().max().to(ScalarType.Float64).item<double>();
            Assert.True(max <= Atol, $"{name}: final state differs by {max:g3} with {(left ? "left" : "right")} padding");
        }
    }

    [FixtureTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Bigs_padding_does_not_leak_into_either_direction(bool left)
    {
        // Given the bigs fixture and a 6-token sequence padded by 4 on one side
        using var model = ModelLoader.Load(Fixtures.Model("bigs"));
        var real = new long[] { 5, 17, 42, 9, 100, 63 };
        var (ids, mask) = Padded(real, 4, left);
        var fwd = HookFilter.Glob("*hook_resid_post", "*fwd.hook_ssm_out", "*hook_gate", "*hook_mixer_out", "lm_head.hook_normalized");
        var bwd = HookFilter.Glob("*bwd.hook_ssm_out", "*bwd.hook_u");
        // When both runs are cached
        using var alone = model.RunWithCache(tensor(real).unsqueeze(0), fwd.Or(bwd));
        using var padded = model.RunWithCache(ids, fwd.Or(bwd), attentionMask: mask);
        // Then forward-time tensors agree at the real positions, and the backward (reversed-time) tensors agree on the
        // first n entries: the backward SSM starts at the last real token whichever side the padding is on
        foreach (var name in alone.Names)
            AssertRealPositionsEqual(padded[name], alone[name], name.Contains("bwd.") ? 0 : left ? 4 : 0, name);
        AssertRealPositionsEqual(padded.Logits!, alone.Logits!, left ? 4 : 0, "logits");
        // and the test can fail: without the mask the padding does reach the real positions
        using var leaky = model.RunWithCache(ids, bwd);
        var n = real.Length;
        double leak = (leaky["blocks.1.bwd.hook_ssm_out"].select(0, 0).narrow(0, 0, n) - alone["blocks.1.bwd.hook_ssm_out"].select(0, 0)).abs().max().item<float>();
        Assert.True(leak > 1e-3, $"unmasked padding changed bwd.hook_ssm_out by only {leak:g3}");
    }

    [FixtureFact]
    public void Bigs_mask_of_ones_equals_no_mask()
    {
        using var model = ModelLoader.Load(Fixtures.Model("bigs"));
        var ids = tensor(new long[] { 5, 17, 42, 9, 100, 63, 7, 8 }).view(2, 4);
        var a = model.Run(ids);
        var b = model.Run(ids, ones_like(ids));
        Assert.True((a - b).abs().max().item<float>() <= 1e-5f);
    }
}
