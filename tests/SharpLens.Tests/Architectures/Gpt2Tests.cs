// GPT-2: checkpoints without the transformer. prefix, hook identities, padding invariance, bf16, config rejection.
using SharpLens.Analysis;
using System.Text.Json.Nodes;
using SharpLens.Architectures.Gpt2;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Architectures;

public class Gpt2Tests
{
    static Tensor Ids(string fixture)
    {
        using var r = SafeTensorsFile.Open(Path.Combine(Fixtures.Model(fixture), "reference.safetensors"));
        return r.Load("input_ids").clone();
    }

    [FixtureFact]
    public void Checkpoint_without_transformer_prefix_matches_the_reference()
    {
        // Given the fixture rewritten as GPT2Model saves it ("h.0.attn…", "wte.weight")
        var src = Fixtures.Model("gpt2");
        var dir = TempFolders.Create();
        try
        {
            File.Copy(Path.Combine(src, "config.json"), Path.Combine(dir, "config.json"));
            using (var st = SafeTensorsFile.Open(Path.Combine(src, "model.safetensors")))
                SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"),
                    st.Keys.Select(k => (k.StartsWith("transformer.") ? k["transformer.".Length..] : k, st.Load(k)))
                        // as the original openai-community/gpt2 upload: old causal-mask buffers beside the weights
                        .Append(("h.0.attn.bias", ones(1, 1, 64, 64).tril())).Append(("h.1.attn.masked_bias", tensor(-1e4f)))
                        .ToList());
            // When loaded and checked
            using var model = ModelLoader.Load(dir);
            var result = ReferenceCheck.Run(model, Path.Combine(src, "reference.safetensors"), 1e-4);
            // Then every tensor matches and no key was unexpected
            Assert.True(result.Ok, string.Join("\n", result.Tensors.Where(t => !t.Ok).Select(t => $"{t.Name} {t.MaxAbsDiff:g3} {t.Problem}")));
            Assert.Empty(model.LoadReport!.Unexpected);
            Assert.Equal(2, model.LoadReport.Ignored.Count);
        }
        finally { Directory.Delete(dir, true); }
    }

    [FixtureFact]
    public void Untied_head_loads_lm_head_weight()
    {
        // tie_word_embeddings = false: lm_head.weight is stored; here a copy of wte, so the reference still holds
        var dir = TempFolders.CopyFixture("gpt2", c => c["tie_word_embeddings"] = false);
        try
        {
            var path = Path.Combine(dir, "model.safetensors");
            List<(string, Tensor)> tensors;
            using (var st = SafeTensorsFile.Open(path))
                tensors = st.Keys.Select(k => (k, st.Load(k).clone())).Append(("lm_head.weight", st.Load("transformer.wte.weight").clone())).ToList();
            SafeTensorsWriter.Write(path, tensors);
            using var model = (Gpt2LMHeadModel)ModelLoader.Load(dir);
            Assert.NotNull(model.lm_head);
            Assert.Empty(model.LoadReport!.Tied);
            Assert.True(ReferenceCheck.Run(model, Path.Combine(Fixtures.Model("gpt2"), "reference.safetensors"), 1e-4).Ok);
        }
        finally { Directory.Delete(dir, true); }
    }

    [FixtureFact]
    public void Hook_identities_hold()
    {
        using var model = (Gpt2LMHeadModel)ModelLoader.Load(Fixtures.Model("gpt2"));
        using var ids = Ids("gpt2");
        ModelIdentities.PerHeadResultsSumToAttnOut(model, ids, l => model.transformer.h[l].attn.c_proj.bias);
        ModelIdentities.ResidualStreamAdds(model, ids);
        ModelIdentities.SelfPatchingIsANoOp(model, ids);
    }

    [FixtureFact]
    public void Left_and_right_padding_leave_real_positions_unchanged()
    {
        using var model = ModelLoader.Load(Fixtures.Model("gpt2"));
        ModelIdentities.PaddingInvariant(model, [5, 17, 42, 99, 3, 150, 7], padId: 0, nPad: 3);
    }

    [FixtureFact]
    public void Bfloat16_run_is_close_to_float32()
    {
        // bf16 keeps 8 mantissa bits (relative step 2^-8 ≈ 0.4%); after 2 layers on O(1–10) activations the logits
        // drift by a few percent of their range, so the bound is 5% of max|logit| (float32 itself is exact to 1e-5).
        using var f32 = ModelLoader.Load(Fixtures.Model("gpt2"));
        using var bf16 = ModelLoader.Load(Fixtures.Model("gpt2"), new LoadOptions { DType = ScalarType.BFloat16 });
        using var ids = Ids("gpt2");
        using var a = f32.Run(ids);
        using var b = bf16.Run(ids);
        Assert.Equal(ScalarType.BFloat16, bf16.DType);
        double scale = a.abs().max().item<float>();
        ModelIdentities.Close(b, a, 0.05 * scale, "bf16 vs fp32 logits");
    }

    [FixtureFact]
    public void Scale_by_inverse_layer_idx_divides_scores_and_upcast_changes_nothing_in_float32()
    {
        using var ids = Ids("gpt2");
        using var model = ModelLoader.Load(Fixtures.Model("gpt2"));
        var scaledDir = TempFolders.CopyFixture("gpt2", c => c["scale_attn_by_inverse_layer_idx"] = true);
        var upcastDir = TempFolders.CopyFixture("gpt2", c => c["reorder_and_upcast_attn"] = true);
        try
        {
            using var scaled = ModelLoader.Load(scaledDir);
            using var upcast = ModelLoader.Load(upcastDir);
            var scores = HookFilter.Site(Site.AttnScores);
            using var a = model.RunWithCache(ids, scores);
            using var b = scaled.RunWithCache(ids, scores);
            using var c = upcast.RunWithCache(ids, scores);
            long t = ids.shape[1];
            using var future = ones(t, t, ScalarType.Bool).triu(1);                         // masked entries hold the dtype minimum
            for (int l = 0; l < 2; l++)
                ModelIdentities.Close(b[HookName.Of(Site.AttnScores, l)].masked_fill(future, 0),
                    a[HookName.Of(Site.AttnScores, l)].masked_fill(future, 0) / (l + 1), 1e-6, $"layer {l} scores / (layer + 1)");
            ModelIdentities.Close(c.Logits!, a.Logits!, 1e-6, "reorder_and_upcast_attn logits in float32");
        }
        finally { Directory.Delete(scaledDir, true); Directory.Delete(upcastDir, true); }
    }

    [Fact]
    public void Unsupported_options_are_rejected()
    {
        var cross = HfConfig.FromJson("""{"model_type": "gpt2", "add_cross_attention": true}""");
        Assert.Contains("add_cross_attention", Assert.Throws<NotSupportedException>(() => Gpt2Config.From(cross)).Message);
        var act = HfConfig.FromJson("""{"model_type": "gpt2", "activation_function": "mish"}""");
        Assert.Contains("mish", Assert.Throws<NotSupportedException>(() => Gpt2Config.From(act)).Message);
    }

    [Fact]
    public void Config_defaults_and_json_round_trip()
    {
        var c = Gpt2Config.From(HfConfig.FromJson("""{"model_type": "gpt2", "n_embd": 32, "n_head": 4, "n_layer": 1}"""));
        Assert.Equal(128, c.DMlp);                                  // n_inner null → 4·n_embd
        Assert.True(c.TieWordEmbeddings);
        var again = Gpt2Config.From(HfConfig.FromJson(c.ToJson()));
        Assert.Equal(c, again);
        Assert.Contains("\"model_type\": \"gpt2\"", c.ToJson());
    }
}
