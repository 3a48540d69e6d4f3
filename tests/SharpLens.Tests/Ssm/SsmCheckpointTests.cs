// Loading: bad checkpoints rejected with messages naming the tensor; other namings and heads; configs round-trip.
using SharpLens.Architectures.Bigs;
using SharpLens.Architectures.Mamba;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Ssm;

public sealed class SsmCheckpointTests : IDisposable
{
    readonly string tmp = Path.Combine(Path.GetTempPath(), "sharplens-ssm-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() { if (Directory.Exists(tmp)) Directory.Delete(tmp, true); }

    /// <summary>Copies a fixture folder with its weights rewritten by <paramref name="edit"/> (name → tensor or null to drop).</summary>
    string Variant(string fixture, Func<string, Tensor, (string, Tensor)?> edit, string? configJson = null)
    {
        var src = Fixtures.Model(fixture);
        Directory.CreateDirectory(tmp);
        var dir = Path.Combine(tmp, fixture + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), configJson ?? File.ReadAllText(Path.Combine(src, "config.json")));
        using var st = SafeTensorsFile.Open(Path.Combine(src, "model.safetensors"));
        var tensors = st.Keys.Select(k => edit(k, st.Load(k).clone())).Where(t => t is not null).Select(t => t!.Value).ToList();
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        return dir;
    }

    [FixtureFact]
    public void Mamba_without_A_log_is_rejected_naming_the_tensor()
    {
        var dir = Variant("mamba", (k, t) => k == "backbone.layers.1.mixer.A_log" ? null : (k, t));
        var e = Assert.Throws<CheckpointLoadException>(() => ModelLoader.Load(dir));
        Assert.Contains("missing (1): backbone.layers.1.mixer.A_log", e.Message);
    }

    [FixtureFact]
    public void Bigs_with_a_wrong_kernel_C_shape_is_rejected_with_both_shapes()
    {
        var dir = Variant("bigs", (k, t) => k == "bigs.encoder.layer.0.fs4.kernel.C" ? (k, zeros(8, 3)) : (k, t));
        var e = Assert.Throws<CheckpointLoadException>(() => ModelLoader.Load(dir));
        Assert.Contains("bigs.encoder.layer.0.fs4.kernel.C: expected [8,2] (from config), found [8,3]", e.Message);
    }

    [FixtureFact]
    public void Mamba_loads_the_state_spaces_naming_and_a_tied_head()
    {
        // state-spaces names the embedding backbone.embedding; with tie_word_embeddings the stored lm_head is tied
        var config = File.ReadAllText(Path.Combine(Fixtures.Model("mamba"), "config.json")).Replace("\"tie_word_embeddings\": false,", "");
        var dir = Variant("mamba", (k, t) => k == "backbone.embeddings.weight" ? ("backbone.embedding.weight", t) : (k, t), config);
        using var model = (MambaForCausalLM)ModelLoader.Load(dir);
        Assert.True(model.Config.TieWordEmbeddings);
        Assert.Contains(model.LoadReport!.Loaded, k => k == "backbone.embedding.weight");
        Assert.Contains(model.LoadReport.Tied, t => t.StartsWith("lm_head.weight", StringComparison.Ordinal));
    }

    [FixtureFact]
    public void Bigs_sequence_classification_checkpoint_loads_the_encoder_and_reports_its_head()
    {
        // Given a BiGSForSequenceClassification checkpoint: no cls.*, a classifier [num_labels, d_model]
        var config = File.ReadAllText(Path.Combine(Fixtures.Model("bigs"), "config.json"))
            .Replace("\"BiGSForMaskedLM\"", "\"BiGSForSequenceClassification\"");
        var dir = Variant("bigs", (k, t) => k.StartsWith("cls.") ? null : (k, t));
        using (var st = SafeTensorsFile.Open(Path.Combine(dir, "model.safetensors")))
        {
            var all = st.Keys.Select(k => (k, st.Load(k).clone())).ToList();
            all.Add(("classifier.weight", randn(2, 32, generator: new Generator(5)))); all.Add(("classifier.bias", zeros(2)));
            st.Dispose();
            SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), all);
        }
        File.WriteAllText(Path.Combine(dir, "config.json"), config);
        using var model = (BigsForMaskedLM)ModelLoader.Load(dir);
        Assert.Equal("sequence classification", model.Info.Extra["head"]);
        var ids = tensor(new long[] { 5, 17, 42, 9, 100, 63 }).view(1, 6);
        Assert.Equal([1L, 2L], model.Classify(ids).shape);
        Assert.Equal([1L, 6L, 32L], model.Hidden(ids).shape);                            // encoder output
        Assert.Throws<NotSupportedException>(() => model.Run(ids));                      // Forward is the MLM head only
    }

    [FixtureFact]
    public void Unprefixed_bigs_state_dict_keys_load()
    {
        // BiGSModel-style .pth dicts have no "bigs." prefix
        var dir = Variant("bigs", (k, t) => k.StartsWith("bigs.") ? (k["bigs.".Length..], t) : (k, t));
        using var model = ModelLoader.Load(dir);
        Assert.True(model.LoadReport!.IsComplete);
    }

    [FixtureTheory]
    [InlineData("mamba")]
    [InlineData("bigs")]
    public void Config_ToJson_round_trips_and_writes_the_fixture_keys(string fixture)
    {
        var path = Path.Combine(Fixtures.Model(fixture), "config.json");
        var original = HfConfig.Load(path);
        string json = fixture == "mamba" ? MambaConfig.From(original).ToJson() : BigsConfig.From(original).ToJson();
        var again = HfConfig.FromJson(json);
        if (fixture == "mamba") Assert.Equal(MambaConfig.From(original), MambaConfig.From(again));
        else Assert.Equal(BigsConfig.From(original), BigsConfig.From(again));
        foreach (var key in original.Json.Select(kv => kv.Key))
            Assert.True(again.Has(key) || original.Json[key] is null, $"{fixture}: ToJson dropped config key '{key}'");
    }

    [Fact]
    public void Fresh_models_initialise_and_run()
    {
        var mc = MambaConfig.From(HfConfig.FromJson("""{"model_type":"mamba","hidden_size":16,"state_size":4,"num_hidden_layers":1,"vocab_size":50}"""));
        var arch = MambaForCausalLM.Create(mc);
        using var mamba = (MambaForCausalLM)arch.Model;
        mamba.InitWeights(new TorchSharp.torch.Generator(1));
        Assert.Equal(1, mc.DtRank);                                                      // "auto" = ⌈16/16⌉
        Assert.Equal(Math.Log(3), mamba.backbone.Blocks.First().mixer.A_log[0, 2].item<float>(), 5);
        Assert.False(mamba.Run(tensor(new long[] { 1, 2, 3 }).unsqueeze(0)).isnan().any().item<bool>());

        // unusual options: biases on the projections, no conv bias, tied head, no fp32 residual
        var mc2 = MambaConfig.From(HfConfig.FromJson("""{"model_type":"mamba","hidden_size":40,"state_size":3,"num_hidden_layers":2,"vocab_size":30,"use_bias":true,"use_conv_bias":false,"residual_in_fp32":false,"time_step_rank":"auto","conv_kernel":2}"""));
        using var mamba2 = (MambaForCausalLM)MambaForCausalLM.Create(mc2).Model;
        mamba2.InitWeights(new TorchSharp.torch.Generator(2));
        var names = mamba2.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("backbone.layers.1.mixer.in_proj.bias", names);
        Assert.DoesNotContain("backbone.layers.1.mixer.conv1d.bias", names);
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Equal(3, mc2.DtRank);                                                     // ⌈40/16⌉
        Assert.Equal([1L, 4L, 30L], mamba2.Run(tensor(new long[] { 1, 2, 3, 4 }).unsqueeze(0)).shape);

        var bc = BigsConfig.From(HfConfig.FromJson("""{"model_type":"BiGS","hidden_size":16,"intermediate_size":32,"num_hidden_layers":1,"num_ssm":4,"vocab_size":50,"max_position_embeddings":16,"conv_kernel_size":3,"conv_merge":"gate"}"""));
        using var bigs = (BigsForMaskedLM)BigsForMaskedLM.Create(bc).Model;
        bigs.InitWeights(new TorchSharp.torch.Generator(1));
        var k = bigs.bigs.encoder.Layers.First().fs4.kernel;
        Assert.Equal(-0.5f, k.A_re[1].item<float>());
        Assert.Equal((float)(3 * Math.PI), k.A_im[3].item<float>(), 4);
        Assert.InRange(Math.Exp(k.log_step[0].item<float>()), 0.01, 1.0);
        Assert.Equal([1L, 5L, 50L], bigs.Run(tensor(new long[] { 1, 2, 3, 4, 5 }).unsqueeze(0)).shape);
    }
}
