// InitWeights follows HF _init_weights: unit norms, zero biases, normal(0, std) matrices, GPT-2's scaled c_proj, zero pad rows.
using SharpLens.Architectures.Gpt2;
using SharpLens.Architectures.GptBigCode;
using SharpLens.Architectures.Roberta;
using SharpLens.Architectures.RoFormer;
using SharpLens.Loading;
using static TorchSharp.torch;

namespace SharpLens.Tests.Architectures;

public class InitWeightsTests
{
    static void CommonChecks(HookedModel model, double std)
    {
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.False(p.isnan().any().item<bool>(), $"{name} has NaN");
            if (name.Contains("LayerNorm.weight") || name.Contains("layer_norm.weight") || name.Contains(".ln_") && name.EndsWith(".weight"))
                Assert.True(p.eq(1).all().item<bool>(), $"{name} should be ones");
            else if (name.EndsWith("bias"))
                Assert.True(p.eq(0).all().item<bool>(), $"{name} should be zeros");
            else if (p.NumberOfElements >= 1000 && !name.EndsWith("c_proj.weight"))
                Assert.InRange(p.std().item<float>(), 0.8 * std, 1.2 * std);
        }
    }

    [Fact]
    public void Gpt2_and_bigcode_scale_c_proj_by_sqrt_2L()
    {
        const string json = """{"n_embd": 64, "n_head": 4, "n_layer": 8, "vocab_size": 100, "n_positions": 32}""";
        foreach (var arch in new[] { Gpt2LMHeadModel.Create(HfConfig.FromJson(json)), GptBigCodeForCausalLM.Create(HfConfig.FromJson(json)) })
        {
            using var model = arch.Model;
            if (model is Gpt2LMHeadModel gpt2) gpt2.InitWeights(0.2, new Generator(1));
            else ((GptBigCodeForCausalLM)model).InitWeights(0.2, new Generator(1));
            CommonChecks(model, 0.2);
            var cProj = model.named_parameters().Where(p => p.name.EndsWith("mlp.c_proj.weight")).Select(p => p.parameter).ToList();
            Assert.Equal(8, cProj.Count);
            Assert.InRange(cat(cProj.Select(t => t.flatten()).ToArray()).std().item<float>(), 0.9 * 0.2 / 4, 1.1 * 0.2 / 4);
        }
    }

    [Fact]
    public void Encoders_zero_their_padding_rows()
    {
        using var roberta = (RobertaForMaskedLM)RobertaForMaskedLM.Create(HfConfig.FromJson(
            """{"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 1, "intermediate_size": 64, "vocab_size": 50, "max_position_embeddings": 40}""")).Model;
        roberta.InitWeights(0.1, new Generator(2));
        CommonChecks(roberta, 0.1);
        Assert.True(roberta.roberta.embeddings.word_embeddings.weight[1].eq(0).all().item<bool>());
        Assert.True(roberta.roberta.embeddings.position_embeddings.weight[1].eq(0).all().item<bool>());
        using var roformer = (RoFormerForMaskedLM)RoFormerForMaskedLM.Create(HfConfig.FromJson(
            """{"hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 1, "intermediate_size": 64, "vocab_size": 50}""")).Model;
        roformer.InitWeights(0.1, new Generator(3));
        CommonChecks(roformer, 0.1);
        Assert.True(roformer.roformer.embeddings.word_embeddings.weight[0].eq(0).all().item<bool>());
    }
}
