// RoBERTa: HF position ids, hook identities, padding invariance (pad id and masked non-pad ids), bf16, rejections.
using SharpLens.Architectures.Roberta;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Architectures;

public class RobertaTests
{
    static (Tensor Ids, Tensor Positions) Reference()
    {
        using var r = SafeTensorsFile.Open(Path.Combine(Fixtures.Model("roberta"), "reference.safetensors"));
        return (r.Load("input_ids").clone(), r.Load("position_ids").clone());
    }

    [FixtureFact]
    public void Position_ids_equal_the_reference()
    {
        using var model = (RobertaForMaskedLM)ModelLoader.Load(Fixtures.Model("roberta"));
        var (ids, positions) = Reference();
        using var _ = ids; using var __ = positions;
        Assert.True(model.PositionIds(ids, null).eq(positions.to(ScalarType.Int64)).all().item<bool>());
    }

    [FixtureFact]
    public void Pooler_and_index_buffers_of_older_checkpoints_are_ignored_with_a_reason()
    {
        var dir = TempFolders.CopyFixture("roberta", _ => { });
        try
        {
            var path = Path.Combine(dir, "model.safetensors");
            List<(string, Tensor)> tensors;
            using (var st = SafeTensorsFile.Open(path))
                tensors = st.Keys.Select(k => (k, st.Load(k).clone()))
                    .Append(("roberta.pooler.dense.weight", zeros(64, 64))).Append(("roberta.pooler.dense.bias", zeros(64)))
                    .Append(("roberta.embeddings.position_ids", arange(40L).view(1, 40)))
                    .Append(("lm_head.decoder.bias", st.Load("lm_head.bias").clone())).ToList();
            SafeTensorsWriter.Write(path, tensors);
            using var model = ModelLoader.Load(dir);
            var report = model.LoadReport!;
            Assert.Equal(3, report.Ignored.Count);
            Assert.Contains(report.Tied, t => t.StartsWith("lm_head.decoder.bias"));
            Assert.True(SharpLens.Analysis.ReferenceCheck.Run(model, Path.Combine(Fixtures.Model("roberta"), "reference.safetensors"), 1e-4).Ok);
        }
        finally { Directory.Delete(dir, true); }
    }

    [FixtureFact]
    public void Hook_identities_hold()
    {
        using var model = (RobertaForMaskedLM)ModelLoader.Load(Fixtures.Model("roberta"));
        var (ids, positions) = Reference();
        using var _ = ids; using var __ = positions;
        ModelIdentities.PerHeadResultsSumToAttnOut(model, ids, l => model.roberta.encoder.layer[l].attention.output.dense.bias);
        ModelIdentities.SelfPatchingIsANoOp(model, ids);
        Assert.Null(model.Readout);
        Assert.False(model.Info.IsCausal);
    }

    [FixtureTheory]
    [InlineData(1)]     // pad_token_id: exactly HF
    [InlineData(0)]     // another id with attention_mask 0: the documented deviation keeps it invariant too
    public void Left_and_right_padding_leave_real_positions_unchanged(long padId)
    {
        using var model = ModelLoader.Load(Fixtures.Model("roberta"));
        ModelIdentities.PaddingInvariant(model, [5, 17, 42, 99, 3, 150, 7], padId, nPad: 3);
    }

    [FixtureFact]
    public void Bfloat16_run_is_close_to_float32()
    {
        // bf16's 2^-8 relative step through 2 post-LN layers and the MLM head: bound 5% of max|logit|.
        using var f32 = ModelLoader.Load(Fixtures.Model("roberta"));
        using var bf16 = ModelLoader.Load(Fixtures.Model("roberta"), new LoadOptions { DType = ScalarType.BFloat16 });
        var (ids, positions) = Reference();
        using var _ = ids; using var __ = positions;
        using var a = f32.Run(ids);
        using var b = bf16.Run(ids);
        ModelIdentities.Close(b, a, 0.05 * a.abs().max().item<float>(), "bf16 vs fp32 logits");
    }

    [Fact]
    public void Unsupported_options_are_rejected_and_json_round_trips()
    {
        var rel = HfConfig.FromJson("""{"model_type": "roberta", "position_embedding_type": "relative_key"}""");
        Assert.Contains("relative_key", Assert.Throws<NotSupportedException>(() => RobertaConfig.From(rel)).Message);
        var dec = HfConfig.FromJson("""{"model_type": "roberta", "is_decoder": true}""");
        Assert.Throws<NotSupportedException>(() => RobertaConfig.From(dec));
        var c = RobertaConfig.From(HfConfig.FromJson("""{"model_type": "roberta", "hidden_size": 32, "num_attention_heads": 4}"""));
        Assert.Equal(1, c.PadTokenId);
        Assert.Equal(c, RobertaConfig.From(HfConfig.FromJson(c.ToJson())));
    }

    [Fact]
    public void Too_long_inputs_are_rejected_with_the_position_limit()
    {
        var c = RobertaConfig.From(HfConfig.FromJson("""{"model_type": "roberta", "hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 32, "vocab_size": 20, "max_position_embeddings": 8}"""));
        var arch = RobertaForMaskedLM.Create(c);
        using var model = (RobertaForMaskedLM)arch.Model;
        model.InitWeights(0.02, new Generator(1));
        using var ids = full(1, 7, 5L, ScalarType.Int64);                                  // needs positions 2..8
        Assert.Contains("max_position_embeddings", Assert.Throws<ArgumentException>(() => model.Run(ids)).Message);
    }
}
