// GPTBigCode: multi_query=false layout (checked against the MQA fixture), hook identities, padding invariance, bf16.
using System.Text.Json.Nodes;
using SharpLens.Analysis;
using SharpLens.Architectures.GptBigCode;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Architectures;

public class GptBigCodeTests
{
    static Tensor Ids()
    {
        using var r = SafeTensorsFile.Open(Path.Combine(Fixtures.Model("gpt-bigcode"), "reference.safetensors"));
        return r.Load("input_ids").clone();
    }

    /// <summary>
    /// MQA c_attn rows [q (H·d_head) | k (d_head) | v (d_head)] → MHA rows [head][q_h | k | v] (HF's per-head layout for
    /// multi_query=false), every head getting the shared k and v. The MHA model then computes exactly the MQA function.
    /// </summary>
    static Tensor ToMultiHead(Tensor mqa, int nHeads, int dHead)
    {
        long d = nHeads * dHead;
        var q = mqa.narrow(0, 0, d).reshape([nHeads, dHead, .. mqa.shape[1..]]);
        var k = mqa.narrow(0, d, dHead).unsqueeze(0).expand([nHeads, dHead, .. mqa.shape[1..]]);
        var v = mqa.narrow(0, d + dHead, dHead).unsqueeze(0).expand([nHeads, dHead, .. mqa.shape[1..]]);
        return cat([q, k, v], 1).reshape([3 * d, .. mqa.shape[1..]]).contiguous();
    }

    [FixtureFact]
    public void Multi_head_layout_reproduces_the_multi_query_reference()
    {
        var src = Fixtures.Model("gpt-bigcode");
        var dir = TempFolders.Create();
        try
        {
            var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(src, "config.json")))!;
            config["multi_query"] = false;
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
            int h = (int)config["n_head"]!, dh = (int)config["n_embd"]! / h;
            using (var st = SafeTensorsFile.Open(Path.Combine(src, "model.safetensors")))
                SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), st.Keys.Select(k =>
                    (k, k.EndsWith("attn.c_attn.weight") || k.EndsWith("attn.c_attn.bias") ? ToMultiHead(st.Load(k), h, dh) : st.Load(k))).ToList());
            using var model = (GptBigCodeForCausalLM)ModelLoader.Load(dir);
            Assert.False(model.Config.MultiQuery);
            Assert.Equal(h, model.Info.NKvHeads);
            var result = ReferenceCheck.Run(model, Path.Combine(src, "reference.safetensors"), 1e-4);
            Assert.True(result.Ok, string.Join("\n", result.Tensors.Where(t => !t.Ok).Select(t => $"{t.Name} {t.MaxAbsDiff:g3} {t.Problem}")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [FixtureFact]
    public void Hook_identities_hold()
    {
        using var model = (GptBigCodeForCausalLM)ModelLoader.Load(Fixtures.Model("gpt-bigcode"));
        using var ids = Ids();
        ModelIdentities.PerHeadResultsSumToAttnOut(model, ids, l => model.transformer.h[l].attn.c_proj.bias);
        ModelIdentities.ResidualStreamAdds(model, ids);
        ModelIdentities.SelfPatchingIsANoOp(model, ids);
    }

    [FixtureFact]
    public void Left_and_right_padding_leave_real_positions_unchanged()
    {
        using var model = ModelLoader.Load(Fixtures.Model("gpt-bigcode"));
        ModelIdentities.PaddingInvariant(model, [5, 17, 42, 99, 3, 250, 7, 8], padId: 0, nPad: 4);
    }

    [FixtureFact]
    public void Bfloat16_run_is_close_to_float32()
    {
        // Same bound and reason as GPT-2: bf16's 2^-8 relative step, accumulated over 2 layers → 5% of max|logit|.
        using var f32 = ModelLoader.Load(Fixtures.Model("gpt-bigcode"));
        using var bf16 = ModelLoader.Load(Fixtures.Model("gpt-bigcode"), new LoadOptions { DType = ScalarType.BFloat16 });
        using var ids = Ids();
        using var a = f32.Run(ids);
        using var b = bf16.Run(ids);
        ModelIdentities.Close(b, a, 0.05 * a.abs().max().item<float>(), "bf16 vs fp32 logits");
    }

    [Fact]
    public void Config_defaults_rejections_and_json_round_trip()
    {
        var c = GptBigCodeConfig.From(HfConfig.FromJson("""{"model_type": "gpt_bigcode", "n_embd": 32, "n_head": 4}"""));
        Assert.True(c.MultiQuery);
        Assert.Equal(1, c.NKvHeads);
        Assert.Equal(c, GptBigCodeConfig.From(HfConfig.FromJson(c.ToJson())));
        var cross = HfConfig.FromJson("""{"model_type": "gpt_bigcode", "add_cross_attention": true}""");
        Assert.Throws<NotSupportedException>(() => GptBigCodeConfig.From(cross));
    }
}
