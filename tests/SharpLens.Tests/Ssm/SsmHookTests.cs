// Identities between SSM hook sites, patching through lazily computed sites, and the effective-kernel formula.
using SharpLens.Analysis.Spectra;
using SharpLens.Architectures.Bigs;
using SharpLens.Architectures.Mamba;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Nn;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Ssm;

public class SsmHookTests
{
    static readonly Tensor Ids = tensor(new long[] { 5, 17, 42, 9, 100, 63, 7, 1, 2, 3, 4, 120 - 1 }).view(2, 6);

    static double MaxDiff(Tensor a, Tensor b) => (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();

    [FixtureFact]
    public void Mamba_mixer_sites_are_consistent()
    {
        using var model = (MambaForCausalLM)ModelLoader.Load(Fixtures.Model("mamba"));
        var names = model.HookCatalog.Select(h => h.Name.ToString()).ToHashSet();
        foreach (var s in new[] { "hook_in_proj", "hook_conv", "hook_conv_out", "hook_dt", "hook_B", "hook_C", "hook_ssm_states", "hook_ssm_out", "hook_ssm_state" })
            Assert.Contains($"blocks.1.mixer.{s}", names);
        using var cache = model.RunWithCache(Ids);
        // conv_out = silu(conv); the last per-position state is the final state; Δ > 0 after softplus
        Assert.True(MaxDiff(cache["blocks.0.mixer.hook_conv_out"], nn.functional.silu(cache["blocks.0.mixer.hook_conv"])) < 1e-6);
        Assert.True(MaxDiff(cache["blocks.0.mixer.hook_ssm_states"].select(1, 5), cache["blocks.0.mixer.hook_ssm_state"]) < 1e-6);
        Assert.True(cache["blocks.0.mixer.hook_dt"].min().item<float>() > 0);
        // logit lens: the readout of the last residual reproduces the logits
        Assert.True(MaxDiff(model.Readout.Logits(cache["blocks.1.hook_resid_post"]), cache.Logits!) < 1e-4);
    }

    [FixtureFact]
    public void Patching_the_per_position_states_changes_the_ssm_output()
    {
        // hook_ssm_states is computed only when hooked, and then y = C·h is read from the (patched) states
        using var model = (MambaForCausalLM)ModelLoader.Load(Fixtures.Model("mamba"));
        using var plain = model.RunWithCache(Ids, HookFilter.Glob("blocks.0.mixer.hook_conv_out", "blocks.0.mixer.hook_ssm_out"));
        Assert.False(plain.Contains("blocks.0.mixer.hook_ssm_states"));
        using var patched = model.RunWithCache(Ids, HookFilter.Glob("blocks.0.mixer.hook_ssm_out"),
            hooks: [(HookName.Parse("blocks.0.mixer.hook_ssm_states"), (act, _) => zeros_like(act))]);
        // with zero states only the skip D·u is left
        var du = plain["blocks.0.mixer.hook_conv_out"] * model.backbone.Blocks.First().mixer.D;
        Assert.True(MaxDiff(patched["blocks.0.mixer.hook_ssm_out"], du) < 1e-5);
        Assert.True(MaxDiff(plain["blocks.0.mixer.hook_ssm_out"], du) > 1e-3);
    }

    [FixtureFact]
    public void Bigs_kernel_sites_are_consistent_and_patchable()
    {
        using var model = (BigsForMaskedLM)ModelLoader.Load(Fixtures.Model("bigs"));
        var layer = model.bigs.encoder.Layers.First();
        using var cache = model.RunWithCache(Ids);
        // the kernel the forward pass used is the parameter-derived kernel at the input length
        Assert.True(MaxDiff(cache["blocks.0.fwd.hook_kernel"], model.Derived("blocks.0.fwd.kernel", [1, 6])!) == 0);
        // ssm_out = K * u + D·u
        var du = cache["blocks.0.fwd.hook_u"] * layer.fs4.D;
        Assert.True(MaxDiff(cache["blocks.0.ssm.fwd.hook_kernel_out"] + du, cache["blocks.0.fwd.hook_ssm_out"]) < 1e-6);
        // a zero kernel leaves only the skip
        using var patched = model.RunWithCache(Ids, HookFilter.Glob("blocks.0.fwd.hook_ssm_out"),
            hooks: [(HookName.Parse("blocks.0.fwd.hook_kernel"), (act, _) => zeros_like(act))]);
        Assert.True(MaxDiff(patched["blocks.0.fwd.hook_ssm_out"], du) < 1e-6);
        // the gate is the product before dol
        var gate = layer.duc_forward.forward(cache["blocks.0.fwd.hook_ssm_out"]) * layer.duc_backward.forward(cache["blocks.0.bwd.hook_ssm_out"]).flip(1);
        Assert.True(MaxDiff(gate, cache["blocks.0.hook_gate"]) < 1e-5);
    }

    [FixtureFact]
    public void Effective_kernels_equal_averaged_impulse_responses_of_the_scan()
    {
        // Given one input, its Δ, B, C from the hooks
        using var model = (MambaForCausalLM)ModelLoader.Load(Fixtures.Model("mamba"));
        var ids = new long[] { 5, 17, 42, 9, 100, 63, 7 };
        int t = ids.Length;
        using var cache = model.RunWithCache(tensor(ids).unsqueeze(0), HookFilter.Glob("blocks.1.mixer.hook_*"));
        var dt = cache["blocks.1.mixer.hook_dt"]; var b = cache["blocks.1.mixer.hook_B"]; var c = cache["blocks.1.mixer.hook_C"];
        var a = model.backbone.Blocks.ElementAt(1).mixer.A;
        // When the linear scan with these Δ, B, C is driven by a unit impulse at each position s
        long dInner = a.shape[0];
        var expected = new double[dInner, t];
        for (int s = 0; s < t; s++)
        {
            var u = zeros(1, t, dInner); u[0, s] = ones(dInner);
            var y = SelectiveScan.Run(u, dt, a, b, c, keepStates: false).Y.select(0, 0).to(ScalarType.Float64); // [pos, d_inner]
            for (int lag = 0; s + lag < t; lag++)
            {
                var row = y[s + lag].data<double>().ToArray();
                for (int d = 0; d < dInner; d++) expected[d, lag] += row[d] / (t - lag);
            }
        }
        // Then the closed-form effective kernel equals the averaged responses
        var kernel = EffectiveKernels.Compute(model, [ids], 64)[1];
        Assert.Equal(t, kernel.Lags);
        for (int d = 0; d < dInner; d++)
            for (int lag = 0; lag < t; lag++)
                Assert.True(Math.Abs(kernel.PerChannel[d, lag] - expected[d, lag]) < 1e-5, $"d={d} lag={lag}: {kernel.PerChannel[d, lag]} vs {expected[d, lag]}");
    }
}
