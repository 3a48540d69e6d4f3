// RoFormerForMaskedLM: the RoCoder-style encoder baseline (BERT post-LN encoder + rotary q/k + MLM head), TL hook names.
// Reference: HF transformers modeling_roformer.py (RoFormerEmbeddings, RoFormerModel, RoFormerOnlyMLMHead; eager).
// Deviation: rotary positions come from the attention mask (cumsum − 1) instead of 0..T−1, so left padding is invariant
// even with rotary_value; identical to HF for unpadded inputs (and, for q·k alone, RoPE is shift-invariant anyway).
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Nn;
using TorchSharp;
using ModuleList = TorchSharp.Modules.ModuleList<SharpLens.Architectures.RoFormer.RoFormerLayer>;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace SharpLens.Architectures.RoFormer;

/// <summary>
/// LN(word + token_type(0)) [→ embeddings_project] → L × RoFormerLayer → cls.predictions (dense, act, LayerNorm, tied
/// decoder + bias). No final norm and no linear readout (<see cref="HookedModel.Readout"/> is null). The MLM head is
/// <see cref="HookedModel.Forward"/>; token-classification and bare checkpoints use <see cref="ClassifyTokens"/> and <see cref="Hidden"/>.
/// </summary>
public sealed class RoFormerForMaskedLM : HookedModel, IEncoderHeads
{
    public readonly RoFormerModel roformer;
    public readonly RoFormerOnlyMLMHead? cls;                  // RoFormerForMaskedLM
    public readonly Linear? classifier;                        // RoFormerForTokenClassification
    readonly HookPoint hEmbed, hTokenTypeEmbed, hLmHeadNormalized;
    readonly Func<Tensor, Tensor> act;

    public RoFormerConfig Config { get; }
    public override ModelInfo Info { get; }

    /// <summary>The embeddings and the MLM head's transform are embedding_size (d_embed) wide, not d_model.</summary>
    const string EmbedShape = "[batch, pos, d_embed]";

    RoFormerForMaskedLM(RoFormerConfig c) : base("RoFormerForMaskedLM")
    {
        Config = c;
        hEmbed = Point(HookName.Embed, EmbedShape);
        hTokenTypeEmbed = Point(HookName.Of(Site.TokenTypeEmbed), EmbedShape);
        roformer = new RoFormerModel(c, (layer, site) => Point(HookName.Of(site, layer)));
        hLmHeadNormalized = Point(HookName.Of(Site.LmHeadNormalized), EmbedShape);            // declared whatever the head; fires in Forward
        if (c.Head == RoFormerHead.MaskedLm) cls = new RoFormerOnlyMLMHead(c);
        if (c.Head == RoFormerHead.TokenClassification) classifier = new Linear(c.DModel, c.NumLabels, true);
        act = Activations.Get(c.HiddenAct, "config.json");
        Info = new ModelInfo
        {
            Architecture = c.Head switch { RoFormerHead.MaskedLm => "RoFormerForMaskedLM", RoFormerHead.TokenClassification => "RoFormerForTokenClassification", _ => "RoFormerModel" },
            ModelType = "roformer", NLayers = c.NLayers, DModel = c.DModel, DVocab = c.VocabSize,
            NHeads = c.NHeads, NKvHeads = c.NHeads, DHead = c.DHead, DMlp = c.DMlp, MaxPositions = c.MaxPositions, IsCausal = false,
            Extra = new Dictionary<string, object>
            {
                ["d_embed"] = c.DEmbed, ["rotary_value"] = c.RotaryValue,
                ["head"] = c.Head switch { RoFormerHead.MaskedLm => "MLM", RoFormerHead.TokenClassification => $"token classification ({c.NumLabels} labels)", _ => "none (hidden states)" },
            },
        };
        RegisterComponents();
    }

    /// <summary>Builds the model and its checkpoint map from a config.</summary>
    public static Architecture Create(HfConfig config) => Create(RoFormerConfig.From(config));

    /// <summary>Builds the model (parameters uninitialised) and its checkpoint map from a typed config.</summary>
    public static Architecture Create(RoFormerConfig c)
    {
        var m = new RoFormerForMaskedLM(c);
        // RoFormerModel checkpoints store the encoder without the "roformer." prefix.
        var map = CheckpointMap.Identity.OptionalPrefix("roformer.")
            .Ignore(k => k is "roformer.encoder.embed_positions.weight" or "encoder.embed_positions.weight", "sinusoidal rotary table (recomputed)");
        if (c.Head == RoFormerHead.MaskedLm)
        {
            map.Tie("cls.predictions.decoder.bias", "cls.predictions.bias");
            if (c.TieWordEmbeddings) map.Tie("cls.predictions.decoder.weight", "roformer.embeddings.word_embeddings.weight");
        }
        return new Architecture(m, map);
    }

    Tensor DecoderWeight => cls!.predictions.decoder?.weight ?? roformer.embeddings.word_embeddings.weight;  // [d_vocab, d_embed]

    public override ModelHead Head => Config.Head switch
    {
        RoFormerHead.MaskedLm => ModelHead.LanguageModel,
        RoFormerHead.TokenClassification => ModelHead.TokenClassification,
        _ => ModelHead.None,
    };

    protected override Tensor? ForwardPass(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        if (Encode(inputIds, attentionMask) is not Tensor x || cls is null) return null;    // stopped, or no MLM head (ForwardTo only)
        var t = cls.predictions.transform;
        var h = hLmHeadNormalized.Run(t.LayerNorm.forward(act(t.dense.forward(x))));       // [batch, pos, d_embed]
        if (StopReached) return null;
        var logits = Precision.Linear(h, DecoderWeight, cls.predictions.bias);              // [batch, pos, d_vocab]
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>The encoder's last hidden state [batch, pos, d_model] (RoFormerModel's output), whatever the head.</summary>
    public Tensor Hidden(Tensor inputIds, Tensor? attentionMask = null)
    {
        using var scope = NewDisposeScope();
        return Encode(inputIds, attentionMask)!.MoveToOuterDisposeScope();
    }

    /// <summary>Token-classification logits [batch, pos, num_labels] (RoFormerForTokenClassification).</summary>
    public Tensor ClassifyTokens(Tensor inputIds, Tensor? attentionMask = null)
    {
        if (classifier is null) throw new NotSupportedException($"this RoFormer checkpoint has a {Head} head, not a token-classification head");
        using var scope = NewDisposeScope();
        return classifier.forward(Encode(inputIds, attentionMask)!).MoveToOuterDisposeScope();
    }

    /// <summary>Embeddings and layers; null once <see cref="HookedModel.StopReached"/>.</summary>
    Tensor? Encode(Tensor inputIds, Tensor? attentionMask)
    {
        long b = inputIds.shape[0], p = inputIds.shape[1];
        if (p > Config.MaxPositions)      // HF's sinusoidal table has max_position_embeddings rows
            throw new ArgumentException($"sequence length {p} exceeds max_position_embeddings ({Config.MaxPositions})");
        var e = roformer.embeddings;
        var word = hEmbed.Run(e.word_embeddings.forward(inputIds));                         // [batch, pos, d_embed]
        var type = hTokenTypeEmbed.Run(e.token_type_embeddings.forward(zeros_like(inputIds)));
        var x = e.LayerNorm.forward(word + type);
        if (roformer.embeddings_project is Linear proj) x = proj.forward(x);                // [batch, pos, d_model]
        var positions = Masks.PositionIds(attentionMask, b, p, x.device);                   // [batch, pos]
        var (cos, sin) = RotaryInterleaved.Angles(positions, Config.DHead, x.dtype);        // [batch, pos, d_head]
        var allowed = Masks.Allowed(attentionMask, b, p, causal: false, x.device);          // [batch|1, 1, pos, pos]
        foreach (var layer in roformer.Layers.TakeWhile(_ => !StopReached))                // ForwardTo: nothing after the stop hook's layer
            x = LayerScope.Run(x, h => layer.Forward(h, cos, sin, allowed));
        return StopReached ? null : x;                                                      // [batch, pos, d_model]
    }

    /// <summary>HF's <c>roformer.encoder.embed_positions.weight</c> for this config, for writing HF-loadable checkpoints.</summary>
    public Tensor EmbedPositionsTable() => RotaryInterleaved.SinusoidalTable(Config.MaxPositions, Config.DHead);

    /// <summary>
    /// HF RoFormerPreTrainedModel._init_weights: normal(0, std) for Linear and Embedding weights (the pad row of the word
    /// embeddings zeroed), zero biases (cls.predictions.bias included), unit LayerNorms.
    /// </summary>
    public void InitWeights(double std, Generator? generator = null)
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.Contains("LayerNorm."))
            {
                if (name.EndsWith(".weight", StringComparison.Ordinal)) p.fill_(1.0);
                else p.zero_();
            }
            else if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
            else p.normal_(0, std, generator);
        }
        if (Config.PadTokenId is int pad && pad >= 0 && pad < Config.VocabSize) roformer.embeddings.word_embeddings.weight[pad].zero_();
    }
}

/// <summary>HF RoFormerModel: embeddings, embeddings_project (only when embedding_size ≠ hidden_size), encoder.</summary>
public sealed class RoFormerModel : nn.Module
{
    public readonly RoFormerEmbeddings embeddings;
    public readonly Linear? embeddings_project;
    public readonly RoFormerEncoder encoder;

    public RoFormerModel(RoFormerConfig c, Func<int, HookSite, HookPoint> hook) : base("roformer")
    {
        embeddings = new RoFormerEmbeddings(c);
        if (c.DEmbed != c.DModel) embeddings_project = new Linear(c.DEmbed, c.DModel, true);
        encoder = new RoFormerEncoder(c, hook);
        RegisterComponents();
    }

    public IEnumerable<RoFormerLayer> Layers => encoder.layer;
}

/// <summary>HF RoFormerEmbeddings: word and token type embeddings (no absolute positions), LayerNorm.</summary>
public sealed class RoFormerEmbeddings : nn.Module
{
    public readonly Embedding word_embeddings, token_type_embeddings;
    public readonly LayerNorm LayerNorm;

    public RoFormerEmbeddings(RoFormerConfig c) : base("embeddings")
    {
        word_embeddings = new Embedding(c.VocabSize, c.DEmbed);
        token_type_embeddings = new Embedding(c.TypeVocabSize, c.DEmbed);
        LayerNorm = new LayerNorm(c.DEmbed, c.LayerNormEps);
        RegisterComponents();
    }
}

/// <summary>HF RoFormerEncoder: the layer list (its embed_positions table is recomputed, not a parameter here).</summary>
public sealed class RoFormerEncoder : nn.Module
{
    public readonly ModuleList layer;

    public RoFormerEncoder(RoFormerConfig c, Func<int, HookSite, HookPoint> hook) : base("encoder")
    {
        layer = new ModuleList();
        for (int l = 0; l < c.NLayers; l++)
        {
            int i = l;
            layer.Add(new RoFormerLayer(c, i, site => hook(i, site)));
        }
        RegisterComponents();
    }
}

/// <summary>HF RoFormerOnlyMLMHead: <c>predictions</c>.</summary>
public sealed class RoFormerOnlyMLMHead : nn.Module
{
    public readonly RoFormerLMPredictionHead predictions;
    public RoFormerOnlyMLMHead(RoFormerConfig c) : base("cls")
    {
        predictions = new RoFormerLMPredictionHead(c);
        RegisterComponents();
    }
}

/// <summary>HF RoFormerLMPredictionHead: transform (dense d_model→d_embed, LayerNorm), bias, decoder (tied unless configured).</summary>
public sealed class RoFormerLMPredictionHead : nn.Module
{
    public readonly RoFormerPredictionHeadTransform transform;
    public readonly Linear? decoder;
    public readonly Parameter bias;

    public RoFormerLMPredictionHead(RoFormerConfig c) : base("predictions")
    {
        transform = new RoFormerPredictionHeadTransform(c);
        if (!c.TieWordEmbeddings) decoder = new Linear(c.DEmbed, c.VocabSize, false);
        bias = new Parameter(Params.Empty(c.VocabSize));
        RegisterComponents();
    }
}

/// <summary>HF RoFormerPredictionHeadTransform: dense (d_model → d_embed), hidden_act, LayerNorm.</summary>
public sealed class RoFormerPredictionHeadTransform : nn.Module
{
    public readonly Linear dense;
    public readonly LayerNorm LayerNorm;
    public RoFormerPredictionHeadTransform(RoFormerConfig c) : base("transform")
    {
        dense = new Linear(c.DModel, c.DEmbed, true);
        LayerNorm = new LayerNorm(c.DEmbed, c.LayerNormEps);
        RegisterComponents();
    }
}
