// RobertaForMaskedLM (bidirectional post-LN encoder + MLM head) with TransformerLens hook names.
// Reference: HF transformers modeling_roberta.py (RobertaEmbeddings, RobertaModel, RobertaLMHead; eager attention).
// Deviation: a position counts as padding when its id is pad_token_id (HF) or its attention_mask is 0, so padding with
// another id stays invariant; identical to HF whenever padding uses pad_token_id.
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Nn;
using TorchSharp;
using ModuleList = TorchSharp.Modules.ModuleList<SharpLens.Architectures.Roberta.RobertaLayer>;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Roberta;

/// <summary>
/// LN(word + position + token_type(0)) → L × RobertaLayer → MLM head (dense, exact GELU, layer_norm, tied decoder + bias).
/// There is no final norm and no linear readout (<see cref="HookedModel.Readout"/> is null).
/// </summary>
public sealed class RobertaForMaskedLM : HookedModel
{
    public readonly RobertaModel roberta;
    public readonly RobertaLMHead lm_head;
    readonly HookPoint hEmbed, hPosEmbed, hTokenTypeEmbed, hLmHeadNormalized;

    public RobertaConfig Config { get; }
    public override ModelInfo Info { get; }

    RobertaForMaskedLM(RobertaConfig c) : base("RobertaForMaskedLM")
    {
        Config = c;
        hEmbed = Point(HookName.Embed);
        hPosEmbed = Point(HookName.PosEmbed);
        hTokenTypeEmbed = Point(HookName.Of(Site.TokenTypeEmbed));
        roberta = new RobertaModel(c, (layer, site) => Point(HookName.Of(site, layer)));
        hLmHeadNormalized = Point(HookName.Of(Site.LmHeadNormalized));
        lm_head = new RobertaLMHead(c);
        Info = new ModelInfo
        {
            Architecture = "RobertaForMaskedLM", ModelType = "roberta", NLayers = c.NLayers, DModel = c.DModel, DVocab = c.VocabSize,
            NHeads = c.NHeads, NKvHeads = c.NHeads, DHead = c.DHead, DMlp = c.DMlp, MaxPositions = c.MaxPositions, IsCausal = false,
        };
        RegisterComponents();
    }

    /// <summary>Builds the model and its checkpoint map from a config.</summary>
    public static Architecture Create(HfConfig config) => Create(RobertaConfig.From(config));

    /// <summary>Builds the model (parameters uninitialised) and its checkpoint map from a typed config.</summary>
    public static Architecture Create(RobertaConfig c)
    {
        var m = new RobertaForMaskedLM(c);
        var map = CheckpointMap.Identity
            .Tie("lm_head.decoder.bias", "lm_head.bias")
            .Ignore(k => k is "roberta.embeddings.position_ids" or "roberta.embeddings.token_type_ids", "index buffer (recomputed)")
            .Ignore(k => k.StartsWith("roberta.pooler.", StringComparison.Ordinal), "pooler, unused by the MLM head");
        if (c.TieWordEmbeddings) map.Tie("lm_head.decoder.weight", "roberta.embeddings.word_embeddings.weight");
        return new Architecture(m, map);
    }

    Tensor DecoderWeight => lm_head.decoder?.weight ?? roberta.embeddings.word_embeddings.weight;   // [d_vocab, d_model]

    /// <summary>HF create_position_ids_from_input_ids: pad + cumsum over real tokens, pad_token_id at padding.</summary>
    public Tensor PositionIds(Tensor inputIds, Tensor? attentionMask)
    {
        var real = inputIds.ne(Config.PadTokenId);
        if (attentionMask is not null) real = real.logical_and(attentionMask.to(ScalarType.Bool));
        var m = real.to(ScalarType.Int64);
        return m.cumsum(1, ScalarType.Int64) * m + Config.PadTokenId;                      // [batch, pos]
    }

    protected override Tensor? ForwardPass(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], p = inputIds.shape[1];
        var positions = PositionIds(inputIds, attentionMask);
        if (p + Config.PadTokenId >= Config.MaxPositions && positions.max().item<long>() >= Config.MaxPositions)
            throw new ArgumentException($"sequence of {p} tokens needs position {positions.max().item<long>()}, " +
                $"but max_position_embeddings is {Config.MaxPositions} (positions start at pad_token_id + 1 = {Config.PadTokenId + 1})");
        var e = roberta.embeddings;
        var word = hEmbed.Run(e.word_embeddings.forward(inputIds));                         // [batch, pos, d_model]
        var pos = hPosEmbed.Run(e.position_embeddings.forward(positions));
        var type = hTokenTypeEmbed.Run(e.token_type_embeddings.forward(zeros_like(inputIds)));
        var x = e.LayerNorm.forward(word + type + pos);                                     // [batch, pos, d_model]
        var allowed = Masks.Allowed(attentionMask, b, p, causal: false, x.device);          // [batch|1, 1, pos, pos]
        foreach (var layer in roberta.Layers.TakeWhile(_ => !StopReached))                 // ForwardTo: nothing after the stop hook's layer
            x = LayerScope.Run(x, h => layer.Forward(h, allowed));
        if (StopReached) return null;
        var h = lm_head.layer_norm.forward(nn.functional.gelu(lm_head.dense.forward(x)));
        h = hLmHeadNormalized.Run(h);                                                       // [batch, pos, d_model]
        if (StopReached) return null;
        var logits = Precision.Linear(h, DecoderWeight, lm_head.bias);                      // [batch, pos, d_vocab]
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// HF RobertaPreTrainedModel._init_weights: normal(0, std) for Linear and Embedding weights (the pad rows of the word
    /// and position embeddings zeroed), zero biases (lm_head.bias included), unit LayerNorms.
    /// </summary>
    public void InitWeights(double std, Generator? generator = null)
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.Contains("LayerNorm.") || name.Contains("layer_norm."))
            {
                if (name.EndsWith(".weight", StringComparison.Ordinal)) p.fill_(1.0);
                else p.zero_();
            }
            else if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
            else p.normal_(0, std, generator);
        }
        roberta.embeddings.word_embeddings.weight[Config.PadTokenId].zero_();      // both are nn.Embedding(padding_idx=pad)
        roberta.embeddings.position_embeddings.weight[Config.PadTokenId].zero_();
    }
}

/// <summary>HF RobertaModel without the pooler (RobertaForMaskedLM builds it with add_pooling_layer=False).</summary>
public sealed class RobertaModel : nn.Module
{
    public readonly RobertaEmbeddings embeddings;
    public readonly RobertaEncoder encoder;

    public RobertaModel(RobertaConfig c, Func<int, HookSite, HookPoint> hook) : base("roberta")
    {
        embeddings = new RobertaEmbeddings(c);
        encoder = new RobertaEncoder(c, hook);
        RegisterComponents();
    }

    public IEnumerable<RobertaLayer> Layers => encoder.layer;
}

/// <summary>HF RobertaEmbeddings: word, position (offset by pad_token_id + 1), token type, LayerNorm.</summary>
public sealed class RobertaEmbeddings : nn.Module
{
    public readonly Embedding word_embeddings, position_embeddings, token_type_embeddings;
    public readonly LayerNorm LayerNorm;

    public RobertaEmbeddings(RobertaConfig c) : base("embeddings")
    {
        word_embeddings = new Embedding(c.VocabSize, c.DModel);
        position_embeddings = new Embedding(c.MaxPositions, c.DModel);
        token_type_embeddings = new Embedding(c.TypeVocabSize, c.DModel);
        LayerNorm = new LayerNorm(c.DModel, c.LayerNormEps);
        RegisterComponents();
    }
}

/// <summary>HF RobertaEncoder: the layer list.</summary>
public sealed class RobertaEncoder : nn.Module
{
    public readonly ModuleList layer;

    public RobertaEncoder(RobertaConfig c, Func<int, HookSite, HookPoint> hook) : base("encoder")
    {
        layer = new ModuleList();
        for (int l = 0; l < c.NLayers; l++)
        {
            int i = l;
            layer.Add(new RobertaLayer(c, i, site => hook(i, site)));
        }
        RegisterComponents();
    }
}

/// <summary>HF RobertaLMHead: dense, layer_norm, bias; decoder tied to the word embeddings unless tie_word_embeddings is false.</summary>
public sealed class RobertaLMHead : nn.Module
{
    public readonly Linear dense;
    public readonly LayerNorm layer_norm;
    public readonly Linear? decoder;
    public readonly Parameter bias;

    public RobertaLMHead(RobertaConfig c) : base("lm_head")
    {
        dense = new Linear(c.DModel, c.DModel, true);
        layer_norm = new LayerNorm(c.DModel, c.LayerNormEps);
        if (!c.TieWordEmbeddings) decoder = new Linear(c.DModel, c.VocabSize, false);
        bias = new Parameter(Params.Empty(c.VocabSize));
        RegisterComponents();
    }
}
