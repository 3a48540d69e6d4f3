// CodeSSM-HF: the optional parallel short causal convolution beside each S4D branch.
using SharpLens.Architectures.Bigs;
using SharpLens.Hooks;
using SharpLens.Loading;
using static TorchSharp.torch;

namespace SharpLens.Tests.Ssm;

public class CodeSsmConvTests
{
    static BigsForMaskedLM Build(string extra)
    {
        var cfg = BigsConfig.From(HfConfig.FromJson("""{"model_type":"BiGS","hidden_size":16,"intermediate_size":32,"num_hidden_layers":2,"num_ssm":4,"vocab_size":50,"max_position_embeddings":32""" + extra + "}"));
        var m = (BigsForMaskedLM)BigsForMaskedLM.Create(cfg).Model;
        m.InitWeights(new TorchSharp.torch.Generator(3));
        return m;
    }

    static readonly Tensor Ids = tensor(new long[] { 5, 17, 42, 9, 10, 33, 7, 1, 2, 3, 4, 49 }).view(2, 6);

    [Theory]
    [InlineData("sum")]
    [InlineData("gate")]
    public void The_conv_path_adds_its_hooked_output_to_the_ssm_branch(string merge)
    {
        using var m = Build($",\"conv_kernel_size\":3,\"conv_merge\":\"{merge}\"");
        Assert.Contains(m.named_parameters(), p => p.name == "bigs.encoder.layer.0.fconv.conv.weight");
        Assert.Equal(merge == "gate", m.named_parameters().Any(p => p.name == "bigs.encoder.layer.1.bconv.gate"));
        using var cache = m.RunWithCache(Ids, HookFilter.Glob("blocks.0.*"));
        var conv = cache["blocks.0.fwd.hook_conv_out"];
        Assert.True(conv.abs().max().item<float>() > 0);
        // zeroing the conv path's output gives the model without it: the same as the ssm branch alone
        var layer = m.bigs.encoder.Layers.First();
        var ssm = cache["blocks.0.fwd.hook_ssm_out"];
        var merged = layer.fconv!.Merge(ssm, conv);
        var expectedGate = layer.duc_forward.forward(merged) * layer.duc_backward.forward(layer.bconv!.Merge(cache["blocks.0.bwd.hook_ssm_out"], cache["blocks.0.bwd.hook_conv_out"])).flip(1);
        Assert.True((expectedGate - cache["blocks.0.hook_gate"]).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void The_conv_path_keeps_padding_out()
    {
        using var m = Build(",\"conv_kernel_size\":4");
        var real = new long[] { 5, 17, 42, 9 };
        var ids = tensor(new long[] { 5, 17, 42, 9, 0, 0 }).unsqueeze(0);
        var mask = tensor(new long[] { 1, 1, 1, 1, 0, 0 }).unsqueeze(0);
        var alone = m.Run(tensor(real).unsqueeze(0));
        var padded = m.Run(ids, mask).narrow(1, 0, 4);
        Assert.True((alone - padded).abs().max().item<float>() < 1e-4);
    }

    [Fact]
    public void Without_the_conv_path_the_conv_sites_exist_and_see_zeros()
    {
        using var m = Build("");
        using var cache = m.RunWithCache(Ids, HookFilter.Glob("blocks.0.fwd.hook_conv_out"));
        Assert.Equal(0f, cache["blocks.0.fwd.hook_conv_out"].abs().max().item<float>());
    }
}
