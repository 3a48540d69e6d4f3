// LlamaForCausalLM (Llama 1/2/3 shapes, CodeLlama) with TransformerLens hook names.
// Reference: HF transformers modeling_llama.py (LlamaModel.forward, eager attention).
// Deviation: position ids come from the attention mask (cumsum − 1), as HF generate() does, so left padding is invariant.
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Nn;
using TorchSharp;
using ModuleList = TorchSharp.Modules.ModuleList<SharpLens.Architectures.Llama.LlamaBlock>;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Llama;

/// <summary>embed → L × LlamaBlock → RMSNorm → lm_head (or the tied embedding).</summary>
public sealed class LlamaForCausalLM : HookedModel
{
    public readonly LlamaBackbone model;
    public readonly Linear? lm_head;                  // absent when tie_word_embeddings
    readonly HookPoint hEmbed, hLnFinalScale, hLnFinalNormalized;
    readonly Rotary rotary;

    public LlamaConfig Config { get; }
    public override ModelInfo Info { get; }

    LlamaForCausalLM(LlamaConfig c) : base("LlamaForCausalLM")
    {
        Config = c;
        hEmbed = Point(HookName.Embed);
        model = new LlamaBackbone(c, (layer, site) => Point(HookName.Of(site, layer)));
        hLnFinalScale = Point(HookName.LnFinalScale);
        hLnFinalNormalized = Point(HookName.LnFinalNormalized);
        if (!c.TieWordEmbeddings) lm_head = new Linear(c.DModel, c.VocabSize, false);
        rotary = new Rotary(c.DHead, c.RopeTheta, c.RopeLinearFactor);
        Info = new ModelInfo
        {
            Architecture = "LlamaForCausalLM", ModelType = "llama", NLayers = c.NLayers, DModel = c.DModel, DVocab = c.VocabSize,
            NHeads = c.NHeads, NKvHeads = c.NKvHeads, DHead = c.DHead, DMlp = c.DMlp, MaxPositions = c.MaxPositions,
        };
        RegisterComponents();
    }

    /// <summary>Builds the model and its checkpoint map from a config.</summary>
    public static Architecture Create(HfConfig config)
    {
        var c = LlamaConfig.From(config);
        var m = new LlamaForCausalLM(c);
        var map = CheckpointMap.Identity
            .Ignore(k => k.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal), "recomputed RoPE buffer");
        if (c.TieWordEmbeddings) map.Tie("lm_head.weight", "model.embed_tokens.weight");
        return new Architecture(m, map);
    }

    Tensor UnembedWeight => lm_head?.weight ?? model.embed_tokens.weight;    // [d_vocab, d_model]

    public override Readout Readout => new()
    {
        Norm = model.norm, WU = UnembedWeight,
    };

    protected override Tensor? ForwardPass(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], p = inputIds.shape[1];
        var x = hEmbed.Run(model.embed_tokens.forward(inputIds));                          // [batch, pos, d_model]
        var positions = Masks.PositionIds(attentionMask, b, p, x.device);                   // [batch, pos]
        var (cos, sin) = rotary.Angles(positions, x.dtype);                                 // [batch, pos, d_head]
        var mask = AttentionMask.Causal(attentionMask, b, p, x.dtype, x.device);            // [batch|1, 1, pos, pos]
        foreach (var block in model.Blocks.TakeWhile(_ => !StopReached))                   // ForwardTo: nothing after the stop hook's block
            x = LayerScope.Run(x, h => block.Forward(h, cos, sin, mask));
        if (StopReached) return null;
        var normed = hLnFinalNormalized.Run(model.norm.Forward(x, hLnFinalScale));
        if (StopReached) return null;
        var logits = Precision.Linear(normed, UnembedWeight);                               // [batch, pos, d_vocab]
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>HF-style initialisation for training from scratch: normal(0, std) weights, zero biases, unit norms.</summary>
    public void InitWeights(double std, Generator? generator = null)
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight") || name.EndsWith("layernorm.weight")) p.fill_(1.0);
            else if (name.EndsWith(".bias")) p.zero_();
            else p.normal_(0, std, generator);
        }
    }
}

/// <summary>HF LlamaModel: embed_tokens, layers, norm.</summary>
public sealed class LlamaBackbone : nn.Module
{
    public readonly Embedding embed_tokens;
    public readonly ModuleList layers;
    public readonly RmsNorm norm;

    public LlamaBackbone(LlamaConfig c, Func<int, HookSite, HookPoint> hook) : base("model")
    {
        embed_tokens = new Embedding(c.VocabSize, c.DModel);
        layers = new ModuleList();
        for (int l = 0; l < c.NLayers; l++)
        {
            int layer = l;
            layers.Add(new LlamaBlock(c, layer, site => hook(layer, site)));
        }
        norm = new RmsNorm(c.DModel, c.RmsNormEps);
        RegisterComponents();
    }

    public IEnumerable<LlamaBlock> Blocks => layers;
}
