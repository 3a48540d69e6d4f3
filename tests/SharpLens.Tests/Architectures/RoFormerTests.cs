// RoFormer (no fixture): an independent slow re-computation of one layer's attention, identities, padding, round trip.
using SharpLens.Tests.Support;
using SharpLens.Architectures.RoFormer;
using SharpLens.Hooks;
using SharpLens.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Tests.Architectures;

public class RoFormerTests
{
    // embedding_size ≠ hidden_size exercises embeddings_project; std 0.4 gives clearly non-uniform attention.
    static RoFormerForMaskedLM Build(bool rotaryValue, int seed = 7)
    {
        var json = $$"""
            {"model_type": "roformer", "vocab_size": 40, "embedding_size": 12, "hidden_size": 16, "num_attention_heads": 2,
             "num_hidden_layers": 2, "intermediate_size": 24, "max_position_embeddings": 64, "rotary_value": {{(rotaryValue ? "true" : "false")}},
             "layer_norm_eps": 1e-12}
            """;
        var model = (RoFormerForMaskedLM)RoFormerForMaskedLM.Create(HfConfig.FromJson(json)).Model;
        model.InitWeights(0.4, new Generator((ulong)seed));
        model.eval();
        return model;
    }

    static long[] Tokens => [3, 17, 5, 29, 11, 8, 36, 2, 21];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Layer0_attention_matches_a_slow_float64_recomputation(bool rotaryValue)
    {
        using var model = Build(rotaryValue);
        using var ids = tensor(Tokens).view(1, -1);
        using var cache = model.RunWithCache(ids, HookFilter.Names(HookName.ResidPre(0), HookName.Pattern(0), HookName.AttnOut(0)));
        int t = Tokens.Length, d = model.Config.DModel, h = model.Config.NHeads, dh = model.Config.DHead;
        var x = Rows(cache[HookName.ResidPre(0)].view(t, d));
        var w = model.roformer.encoder.layer[0].attention;
        double[][] Project(TorchSharp.Modules.Parameter wt, TorchSharp.Modules.Parameter? bias)
        {
            var W = Rows(wt); var B = bias!.data<float>().ToArray();
            return x.Select(row => Enumerable.Range(0, W.Length).Select(o => B[o] + W[o].Select((wv, i) => wv * row[i]).Sum()).ToArray()).ToArray();
        }
        var q = Project(w.self.query.weight, w.self.query.bias);
        var k = Project(w.self.key.weight, w.self.key.bias);
        var v = Project(w.self.value.weight, w.self.value.bias);
        // rotate each pair (2i, 2i+1) of every head by angle pos / 10000^(2i/d_head), as a 2×2 rotation
        void Rotate(double[][] m)
        {
            for (int pos = 0; pos < t; pos++)
                for (int head = 0; head < h; head++)
                    for (int i = 0; i < dh / 2; i++)
                    {
                        double a = pos / Math.Pow(10000, 2.0 * i / dh), c = Math.Cos(a), s = Math.Sin(a);
                        int j = head * dh + 2 * i;
                        (m[pos][j], m[pos][j + 1]) = (m[pos][j] * c - m[pos][j + 1] * s, m[pos][j + 1] * c + m[pos][j] * s);
                    }
        }
        Rotate(q); Rotate(k);
        if (rotaryValue) Rotate(v);
        var pattern = new double[h, t, t];
        var z = new double[t][];
        for (int i = 0; i < t; i++) z[i] = new double[d];
        for (int head = 0; head < h; head++)
            for (int i = 0; i < t; i++)
            {
                var s = Enumerable.Range(0, t).Select(j => Enumerable.Range(head * dh, dh).Sum(c => q[i][c] * k[j][c]) / Math.Sqrt(dh)).ToArray();
                double mx = s.Max(), sum = s.Sum(e => Math.Exp(e - mx));
                for (int j = 0; j < t; j++)
                {
                    pattern[head, i, j] = Math.Exp(s[j] - mx) / sum;
                    for (int c = head * dh; c < head * dh + dh; c++) z[i][c] += pattern[head, i, j] * v[j][c];
                }
            }
        var Wo = Rows(w.output.dense.weight); var bo = w.output.dense.bias!.data<float>().ToArray();
        var expectedOut = z.Select(row => Enumerable.Range(0, d).Select(o => bo[o] + Wo[o].Select((wv, i) => wv * row[i]).Sum()).ToArray()).ToArray();
        ModelIdentities.Close(cache[HookName.Pattern(0)].view(h, t, t), tensor(pattern), 1e-5, "pattern");
        ModelIdentities.Close(cache[HookName.AttnOut(0)].view(t, d), tensor(expectedOut.SelectMany(r => r).ToArray()).view(t, d), 1e-5, "attn_out");
    }

    static double[][] Rows(Tensor m)
    {
        var a = m.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();
        long cols = m.shape[1];
        return Enumerable.Range(0, (int)m.shape[0]).Select(r => a.Skip(r * (int)cols).Take((int)cols).ToArray()).ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Left_and_right_padding_leave_real_positions_unchanged(bool rotaryValue)
    {
        using var model = Build(rotaryValue);
        ModelIdentities.PaddingInvariant(model, Tokens, padId: 0, nPad: 3);
    }

    [Fact]
    public void Hook_identities_hold()
    {
        using var model = Build(false);
        using var ids = tensor(new long[] { 3, 17, 5, 29, 11, 8, 4, 9, 30, 1, 2, 33 }).view(2, 6);
        ModelIdentities.PerHeadResultsSumToAttnOut(model, ids, l => model.roformer.encoder.layer[l].attention.output.dense.bias);
        ModelIdentities.SelfPatchingIsANoOp(model, ids);
        Assert.Null(model.Readout);
    }

    [Fact]
    public void Save_then_load_gives_identical_logits()
    {
        using var model = Build(true);
        var dir = TempFolders.Create();
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), model.Config.ToJson());
            var tensors = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
                .Append(("roformer.encoder.embed_positions.weight", model.EmbedPositionsTable())).ToList();
            SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
            using var loaded = (RoFormerForMaskedLM)ModelLoader.Load(dir);
            Assert.Equal(model.Config, loaded.Config);
            Assert.Contains(loaded.LoadReport!.Ignored, i => i.StartsWith("roformer.encoder.embed_positions.weight"));
            using var ids = tensor(Tokens).view(1, -1);
            ModelIdentities.Close(loaded.Run(ids), model.Run(ids), 0, "reloaded logits");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Bfloat16_run_is_close_to_float32()
    {
        // bf16's 2^-8 relative step through 2 post-LN layers and the MLM head; the fixtures measure ≈ 2.5% of max|logit|,
        // so the bound is 5% of max|logit|. Rotary angles are computed in float64/float32 and only then cast to bf16.
        using var f32 = Build(true);
        using var bf16 = Build(true);
        bf16.to(ScalarType.BFloat16);
        using var ids = tensor(Tokens).view(1, -1);
        using var a = f32.Run(ids);
        using var b = bf16.Run(ids);
        Assert.Equal(ScalarType.BFloat16, b.dtype);
        ModelIdentities.Close(b, a, 0.05 * a.abs().max().item<float>(), "bf16 vs fp32 logits");
    }

    [Fact]
    public void Sinusoidal_table_has_HF_layout()
    {
        using var table = SharpLens.Nn.RotaryInterleaved.SinusoidalTable(5, 4);            // [pos, sin(θ0) sin(θ1) cos(θ0) cos(θ1)]
        Assert.Equal(new long[] { 5, 4 }, table.shape);
        Assert.Equal(Math.Sin(3 / Math.Pow(10000, 0.5)), table[3, 1].item<float>(), 6);
        Assert.Equal(Math.Cos(3.0), table[3, 2].item<float>(), 6);
    }

    [Fact]
    public void Decoder_configs_and_too_long_inputs_are_rejected()
    {
        using var model = Build(false);
        using var ids = zeros(1, 65, ScalarType.Int64);
        Assert.Contains("max_position_embeddings (64)", Assert.Throws<ArgumentException>(() => model.Run(ids)).Message);
        Assert.Throws<NotSupportedException>(() => RoFormerConfig.From(HfConfig.FromJson("""{"model_type": "roformer", "is_decoder": true}""")));
    }
}
