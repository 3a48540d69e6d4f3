// RoFormer fine-tuned folders (RoFormerForTokenClassification, RoFormerModel) load strictly and compute what they should.
using System.Text.Json.Nodes;
using SharpLens.Architectures.RoFormer;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Tests.Architectures;

public class RoFormerHeadTests
{
    const string Json = """
        {"model_type": "roformer", "vocab_size": 40, "hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 2,
         "intermediate_size": 24, "max_position_embeddings": 64, "layer_norm_eps": 1e-12}
        """;

    static void Save(string dir, RoFormerForMaskedLM mlm, string architecture, Func<string, string?> rename, IEnumerable<(string, Tensor)> extra)
    {
        var cfg = JsonNode.Parse(mlm.Config.ToJson())!.AsObject();
        cfg["architectures"] = new JsonArray(architecture);
        cfg["id2label"] = new JsonObject { ["0"] = "a", ["1"] = "b", ["2"] = "c" };
        File.WriteAllText(Path.Combine(dir, "config.json"), cfg.ToJsonString());
        var tensors = mlm.named_parameters().Select(p => (rename(p.name), (Tensor)p.parameter)).Where(t => t.Item1 != null)
            .Select(t => (t.Item1!, t.Item2)).Concat(extra);
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
    }

    [Fact]
    public void Token_classification_and_bare_encoder_folders_load_and_match_the_mlm_encoder()
    {
        using var mlm = (RoFormerForMaskedLM)RoFormerForMaskedLM.Create(HfConfig.FromJson(Json)).Model;
        mlm.InitWeights(0.4, new Generator(3));
        mlm.eval();
        var ids = tensor(new long[] { 3, 17, 5, 29, 11, 8 }).unsqueeze(0);
        using var cache = mlm.RunWithCache(ids, HookFilter.Names(HookName.ResidPost(1)));
        var hidden = cache[HookName.ResidPost(1)];                                              // [1, pos, 16]

        var w = randn(3, 16, generator: new Generator(5)); var b = randn(3, generator: new Generator(6));
        using (var dir = new TempDir())
        {
            Save(dir.Path, mlm, "RoFormerForTokenClassification", n => n.StartsWith("cls.") ? null : n, [("classifier.weight", w), ("classifier.bias", b)]);
            using var tc = ModelLoader.Load(dir.Path);
            Assert.True(tc.LoadReport!.IsComplete);
            Assert.Equal("token classification (3 labels)", tc.Info.Extra["head"]);
            Assert.Equal(ModelHead.TokenClassification, tc.Head);
            Assert.Equal(mlm.HookCatalog.Select(h => h.ToString()), tc.HookCatalog.Select(h => h.ToString()));    // hooks never depend on the head
            TensorAssert.Close(nn.functional.linear(hidden, w, b), ((IEncoderHeads)tc).ClassifyTokens(ids), 1e-5, "token logits");
            var refused = Assert.Throws<NotSupportedException>(() => tc.Run(ids));                   // Forward is the MLM head only
            Assert.Contains("ClassifyTokens", refused.Message);
            using var stopped = tc.RunWithCache(ids, HookFilter.Names(HookName.ResidPost(1)), stopAt: HookName.ResidPost(1));
            TensorAssert.Close(hidden, stopped[HookName.ResidPost(1)], 1e-6, "cached hidden state of a checkpoint without an LM head");
            Assert.Null(stopped.Logits);
        }
        using (var dir = new TempDir())
        {
            Save(dir.Path, mlm, "RoFormerModel", n => n.StartsWith("cls.") ? null : n["roformer.".Length..], []);
            using var enc = ModelLoader.Load(dir.Path);
            Assert.Equal("none (hidden states)", enc.Info.Extra["head"]);
            Assert.Equal(ModelHead.None, enc.Head);
            TensorAssert.Close(hidden, ((IEncoderHeads)enc).Hidden(ids), 1e-6, "hidden states");
            Assert.Throws<NotSupportedException>(() => ((IEncoderHeads)enc).ClassifyTokens(ids));
        }
    }

    [Fact]
    public void Unknown_roformer_head_is_rejected_by_name()
    {
        var cfg = JsonNode.Parse(Json)!.AsObject();
        cfg["architectures"] = new JsonArray("RoFormerForMultipleChoice");
        var e = Assert.Throws<NotSupportedException>(() => RoFormerConfig.From(HfConfig.FromJson(cfg.ToJsonString())));
        Assert.Contains("RoFormerForMultipleChoice", e.Message);
    }
}
