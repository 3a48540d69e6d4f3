// GPT2LMHeadModel with TransformerLens hook names.
// Reference: HF transformers modeling_gpt2.py (GPT2Model.forward, eager attention); Conv1D weights kept raw [in, out].
// Deviation: position ids come from the attention mask (cumsum − 1), as HF generate() does, so left padding is invariant.
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Nn;
using TorchSharp;
using ModuleList = TorchSharp.Modules.ModuleList<SharpLens.Architectures.Gpt2.Gpt2Block>;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Gpt2;

/// <summary>wte + wpe → L × Gpt2Block → ln_f → lm_head (tied to wte unless tie_word_embeddings is false).</summary>
public sealed class Gpt2LMHeadModel : HookedModel
{
    public readonly Gpt2Model transformer;
    public readonly Linear? lm_head;                  // absent when tied
    readonly HookPoint hEmbed, hPosEmbed, hLnFinalScale, hLnFinalNormalized;

    public Gpt2Config Config { get; }
    public override ModelInfo Info { get; }

    Gpt2LMHeadModel(Gpt2Config c) : base("GPT2LMHeadModel")
    {
        Config = c;
        hEmbed = Point(HookName.Embed);
        hPosEmbed = Point(HookName.PosEmbed);
        transformer = new Gpt2Model(c, (layer, site) => Point(HookName.Of(site, layer)));
        hLnFinalScale = Point(HookName.LnFinalScale);
        hLnFinalNormalized = Point(HookName.LnFinalNormalized);
        if (!c.TieWordEmbeddings) lm_head = new Linear(c.DModel, c.VocabSize, false);
        Info = new ModelInfo
        {
            Architecture = "GPT2LMHeadModel", ModelType = "gpt2", NLayers = c.NLayers, DModel = c.DModel, DVocab = c.VocabSize,
            NHeads = c.NHeads, NKvHeads = c.NHeads, DHead = c.DHead, DMlp = c.DMlp, MaxPositions = c.MaxPositions,
        };
        RegisterComponents();
    }

    /// <summary>Builds the model and its checkpoint map from a config.</summary>
    public static Architecture Create(HfConfig config) => Create(Gpt2Config.From(config));

    /// <summary>Builds the model (parameters uninitialised) and its checkpoint map from a typed config.</summary>
    public static Architecture Create(Gpt2Config c)
    {
        var m = new Gpt2LMHeadModel(c);
        // Checkpoints are saved from GPT2LMHeadModel ("transformer.h.0…") or GPT2Model ("h.0…").
        var map = CheckpointMap.Identity.OptionalPrefix("transformer.")
            .Ignore(k => k.EndsWith(".attn.bias", StringComparison.Ordinal) || k.EndsWith(".attn.masked_bias", StringComparison.Ordinal),
                "causal-mask buffer (recomputed)");
        if (c.TieWordEmbeddings) map.Tie("lm_head.weight", "transformer.wte.weight");
        return new Architecture(m, map);
    }

    Tensor UnembedWeight => lm_head?.weight ?? transformer.wte.weight;    // [d_vocab, d_model]

    public override Readout Readout => new()
    {
        Norm = transformer.ln_f, WU = UnembedWeight,
    };

    protected override Tensor? ForwardPass(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], p = inputIds.shape[1];
        if (p > Config.MaxPositions)
            throw new ArgumentException($"sequence length {p} exceeds n_positions ({Config.MaxPositions})");
        var positions = Masks.PositionIds(attentionMask, b, p, inputIds.device);            // [batch, pos]
        var tok = hEmbed.Run(transformer.wte.forward(inputIds));                            // [batch, pos, d_model]
        var pos = hPosEmbed.Run(transformer.wpe.forward(positions));                        // [batch, pos, d_model]
        var x = tok + pos;
        var mask = AttentionMask.Causal(attentionMask, b, p, x.dtype, x.device);            // [batch|1, 1, pos, pos]
        foreach (var block in transformer.Blocks.TakeWhile(_ => !StopReached))              // ForwardTo: nothing after the stop hook's block
            x = LayerScope.Run(x, h => block.Forward(h, mask));
        if (StopReached) return null;
        var normed = hLnFinalNormalized.Run(transformer.ln_f.Forward(x, hLnFinalScale));
        if (StopReached) return null;
        var logits = Precision.Linear(normed, UnembedWeight);                               // [batch, pos, d_vocab]
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// HF GPT2PreTrainedModel._init_weights: normal(0, std) for Conv1D/Linear/Embedding weights, zero biases, unit
    /// LayerNorms, and c_proj weights normal(0, std/√(2·n_layer)) (the GPT-2 residual scaling).
    /// </summary>
    public void InitWeights(double std, Generator? generator = null)
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.Contains(".ln_") || name.StartsWith("transformer.ln_f", StringComparison.Ordinal))
            {
                if (name.EndsWith(".weight", StringComparison.Ordinal)) p.fill_(1.0);
                else p.zero_();
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (name.EndsWith("c_proj.weight", StringComparison.Ordinal)) p.normal_(0, std / Math.Sqrt(2.0 * Config.NLayers), generator);
            else p.normal_(0, std, generator);
        }
    }
}

/// <summary>HF GPT2Model: wte, wpe, h, ln_f.</summary>
public sealed class Gpt2Model : nn.Module
{
    public readonly Embedding wte, wpe;
    public readonly ModuleList h;
    public readonly LayerNorm ln_f;

    public Gpt2Model(Gpt2Config c, Func<int, HookSite, HookPoint> hook) : base("transformer")
    {
        wte = new Embedding(c.VocabSize, c.DModel);
        wpe = new Embedding(c.MaxPositions, c.DModel);
        h = new ModuleList();
        for (int l = 0; l < c.NLayers; l++)
        {
            int layer = l;
            h.Add(new Gpt2Block(c, layer, site => hook(layer, site)));
        }
        ln_f = new LayerNorm(c.DModel, c.LayerNormEpsilon);
        RegisterComponents();
    }

    public IEnumerable<Gpt2Block> Blocks => h;
}
