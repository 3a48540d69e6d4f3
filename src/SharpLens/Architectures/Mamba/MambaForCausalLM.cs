// MambaForCausalLM (Mamba-1, selective SSM) with TransformerLens-style hook names and hookable SSM internals.
// Reference: HF transformers modeling_mamba.py (MambaModel / MambaForCausalLM, slow path); mamba-minimal.
// Deviation: the state-spaces checkpoint naming (backbone.embedding.weight) is accepted through an alias.
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Nn;
using TorchSharp;
using ModuleList = TorchSharp.Modules.ModuleList<SharpLens.Architectures.Mamba.MambaBlock>;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Mamba;

/// <summary>embeddings → L × MambaBlock → RMSNorm (norm_f) → lm_head (or the tied embedding).</summary>
public sealed class MambaForCausalLM : HookedModel
{
    public readonly MambaBackbone backbone;
    public readonly Linear? lm_head;                  // absent when tie_word_embeddings
    readonly HookPoint hEmbed, hLnFinalNormalized;

    public MambaConfig Config { get; }
    public override ModelInfo Info { get; }

    MambaForCausalLM(MambaConfig c) : base("MambaForCausalLM")
    {
        Config = c;
        hEmbed = Point(HookName.Embed);
        backbone = new MambaBackbone(c, (layer, site) => Point(HookName.Of(site, layer)));
        hLnFinalNormalized = Point(HookName.LnFinalNormalized);
        if (!c.TieWordEmbeddings) lm_head = new Linear(c.DModel, c.VocabSize, false);
        Info = new ModelInfo
        {
            Architecture = "MambaForCausalLM", ModelType = "mamba", NLayers = c.NLayers, DModel = c.DModel, DVocab = c.VocabSize,
            Extra = new Dictionary<string, object>
            {
                ["d_inner"] = c.DInner, ["d_state"] = c.DState, ["d_conv"] = c.DConv, ["dt_rank"] = c.DtRank,
                ["tie_word_embeddings"] = c.TieWordEmbeddings,
            },
        };
        RegisterComponents();
    }

    /// <summary>Builds the model (parameters uninitialised) from a config.json.</summary>
    public static Architecture Create(HfConfig config) => Create(MambaConfig.From(config));

    /// <summary>Builds the model and its checkpoint map from a typed config.</summary>
    public static Architecture Create(MambaConfig c)
    {
        var m = new MambaForCausalLM(c);
        // state-spaces/mamba (mamba_ssm MixerModel) names the embedding `embedding`, everything else as HF.
        var map = CheckpointMap.Identity
            .Alias(k => k == "backbone.embeddings.weight" ? "backbone.embedding.weight" : null, "state-spaces mamba_ssm naming");
        if (c.TieWordEmbeddings) map.Tie("lm_head.weight", "backbone.embeddings.weight");
        return new Architecture(m, map);
    }

    Tensor UnembedWeight => lm_head?.weight ?? backbone.embeddings.weight;  // [d_vocab, d_model]

    public override Readout Readout => new()
    {
        Norm = backbone.norm_f, WU = UnembedWeight,
    };

    protected override Tensor? ForwardPass(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException($"attention mask shape [{string.Join(",", attentionMask.shape)}] must equal input_ids shape [{string.Join(",", inputIds.shape)}]");
        var x = hEmbed.Run(backbone.embeddings.forward(inputIds));                         // [batch, pos, d_model]
        foreach (var block in backbone.Blocks.TakeWhile(_ => !StopReached))                // ForwardTo: nothing after the stop hook's block
            x = LayerScope.Run(x, h => block.Forward(h, attentionMask));
        if (StopReached) return null;
        var normed = hLnFinalNormalized.Run(backbone.norm_f.forward(x.to(backbone.norm_f.weight.dtype))); // [batch, pos, d_model]
        if (StopReached) return null;
        var logits = Precision.Linear(normed, UnembedWeight);                               // [batch, pos, d_vocab]
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// HF MambaPreTrainedModel._init_weights: Linear/Conv1d PyTorch defaults (U(±1/√fan_in)), biases zero except
    /// conv1d (PyTorch default) and dt_proj (inverse softplus of Δ ~ logU[time_step_min, time_step_max], floored);
    /// dt_proj.weight U(±rank^−½·scale) (or constant); A_log = log(1..d_state); D = 1; embeddings N(0, initializer_range);
    /// norms 1; with rescale_prenorm_residual, out_proj weights are divided by √n_layers.
    /// </summary>
    public void InitWeights(Generator? generator = null)
    {
        var c = Config;
        using var _ = no_grad();
        backbone.embeddings.weight.normal_(0, c.InitializerRange, generator);
        backbone.norm_f.weight.fill_(1.0);
        if (lm_head is not null) Uniform(lm_head.weight, c.DModel, generator);
        foreach (var block in backbone.Blocks)
        {
            var mx = block.mixer;
            block.norm.weight.fill_(1.0);
            foreach (var lin in new[] { mx.in_proj, mx.x_proj, mx.out_proj })
            {
                Uniform(lin.weight, lin.InFeatures, generator);
                lin.bias?.zero_();
            }
            mx.conv1d.ResetParameters(generator);
            double dtStd = Math.Pow(c.DtRank, -0.5) * c.TimeStepScale;
            if (c.TimeStepInitScheme == "constant") mx.dt_proj.weight.fill_(dtStd);
            else mx.dt_proj.weight.uniform_(-dtStd, dtStd, generator);
            var dt = (rand(c.DInner, generator: generator, dtype: ScalarType.Float64) * (Math.Log(c.TimeStepMax) - Math.Log(c.TimeStepMin))
                      + Math.Log(c.TimeStepMin)).exp().clamp_min(c.TimeStepFloor);
            var invDt = dt + (-(-dt).expm1()).log();                                        // softplus⁻¹(Δ)
            mx.dt_proj.bias!.copy_(invDt.to(mx.dt_proj.bias.dtype));
            mx.A_log.copy_(arange(1, c.DState + 1, dtype: ScalarType.Float64).log().unsqueeze(0).expand(c.DInner, c.DState).to(mx.A_log.dtype));
            mx.D.fill_(1.0);
            if (c.RescalePrenormResidual) mx.out_proj.weight.div_(Math.Sqrt(c.NLayers));
        }
    }

    static void Uniform(Tensor w, long fanIn, Generator? g) { double b = 1.0 / Math.Sqrt(fanIn); w.uniform_(-b, b, g); }
}

/// <summary>HF MambaModel: embeddings, layers, norm_f.</summary>
public sealed class MambaBackbone : nn.Module
{
    public readonly Embedding embeddings;
    public readonly ModuleList layers;
    public readonly RmsNorm norm_f;

    public MambaBackbone(MambaConfig c, Func<int, HookSite, HookPoint> hook) : base("backbone")
    {
        embeddings = new Embedding(c.VocabSize, c.DModel);
        layers = new ModuleList();
        for (int l = 0; l < c.NLayers; l++)
        {
            int layer = l;
            layers.Add(new MambaBlock(c, layer, site => hook(layer, site)));
        }
        norm_f = new RmsNorm(c.DModel, c.LayerNormEpsilon);
        RegisterComponents();
    }

    public IEnumerable<MambaBlock> Blocks => layers;
}
