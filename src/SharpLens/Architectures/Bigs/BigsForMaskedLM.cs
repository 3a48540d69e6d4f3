// BiGS / CodeSSM encoder (bidirectional gated S4D) with its MLM head, or the encoder of a classification checkpoint.
// Reference: jxiw/BiGS BiGS/modeling_bigs.py (BiGSModel, BiGSForMaskedLM, BiGSForSequenceClassification).
// Deviation: with an attention mask, position ids are cumsum(mask) − 1 (left padding does not shift positions) and
//            padding is kept out of both SSMs (see BigsLayer); the pooler uses the mask as BiGS's non_padding_mean does.
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Nn;
using TorchSharp;
using ModuleList = TorchSharp.Modules.ModuleList<SharpLens.Architectures.Bigs.BigsLayer>;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace SharpLens.Architectures.Bigs;

/// <summary>
/// embeddings (word + token_type 0 + position, LayerNorm) → L × BigsLayer → head. No final encoder norm.
/// Each head is its own entry point: <see cref="HookedModel.Forward"/> the MLM logits [batch, pos, d_vocab],
/// <see cref="ClassifyTokens"/> token-classification logits [batch, pos, num_labels], <see cref="Classify"/> the pooled
/// sequence logits [batch, num_labels], <see cref="Hidden"/> the last hidden state [batch, pos, d_model].
/// </summary>
public sealed class BigsForMaskedLM : HookedModel, IDerivedTensors, IEncoderHeads
{
    public readonly BigsModel bigs;
    public readonly BigsMlmHead? cls;
    public readonly Linear? classifier;
    readonly HookPoint hEmbed, hLmHeadNormalized;

    public BigsConfig Config { get; }
    public override ModelInfo Info { get; }

    BigsForMaskedLM(BigsConfig c) : base("BigsForMaskedLM")
    {
        Config = c;
        hEmbed = Point(HookName.Embed);
        bigs = new BigsModel(c, (layer, site) => Point(HookName.Of(site, layer)));
        hLmHeadNormalized = Point(HookName.Of(Site.LmHeadNormalized));
        if (c.Head == BigsHead.MaskedLm) cls = new BigsMlmHead(c);
        if (c.Head is BigsHead.SequenceClassification or BigsHead.TokenClassification) classifier = new Linear(c.DModel, c.NumLabels, true);
        Info = new ModelInfo
        {
            Architecture = c.ArchitectureName, ModelType = "BiGS", NLayers = c.NLayers, DModel = c.DModel, DVocab = c.VocabSize,
            DMlp = c.DMlp, MaxPositions = c.MaxPositions, IsCausal = false,
            Extra = new Dictionary<string, object>
            {
                ["num_ssm"] = c.NumSsm, ["head"] = HeadName(c.Head), ["num_labels"] = c.NumLabels,
                ["conv_kernel_size"] = c.ConvKernelSize ?? 0, ["conv_merge"] = c.ConvMerge,
            },
        };
        RegisterComponents();
    }

    /// <summary>"MLM", "sequence classification", "token classification" or "none".</summary>
    public static string HeadName(BigsHead head) => head switch
    {
        BigsHead.MaskedLm => "MLM",
        BigsHead.SequenceClassification => "sequence classification",
        BigsHead.TokenClassification => "token classification",
        _ => "none",
    };

    /// <summary>Builds the model (parameters uninitialised) and its checkpoint map from a config.json.</summary>
    public static Architecture Create(HfConfig config) => Create(BigsConfig.From(config));

    /// <summary>
    /// The map accepts the HF layout (bigs.…, cls.…, classifier.…), BiGSModel state dicts without the "bigs." prefix,
    /// and DataParallel "module." prefixes (the authors' .pth files).
    /// </summary>
    public static Architecture Create(BigsConfig c)
    {
        var m = new BigsForMaskedLM(c);
        var map = CheckpointMap.Identity
            .OptionalPrefix("bigs.")
            .Alias(k => "module." + k, "DataParallel state dict")
            .Tie("cls.predictions.decoder.weight", "bigs.embeddings.word_embeddings.weight")
            .Tie("cls.predictions.decoder.bias", "cls.predictions.bias")
            .Tie("module.cls.predictions.decoder.weight", "bigs.embeddings.word_embeddings.weight")
            .Tie("module.cls.predictions.decoder.bias", "cls.predictions.bias")
            .Ignore(k => k.EndsWith("embeddings.position_ids", StringComparison.Ordinal) || k.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal),
                "index buffer recomputed from the input");
        if (c.Head != BigsHead.MaskedLm)
            map.Ignore(k => k.StartsWith("cls.", StringComparison.Ordinal) || k.StartsWith("module.cls.", StringComparison.Ordinal),
                "MLM head of a checkpoint loaded as " + HeadName(c.Head));
        return new Architecture(m, map);
    }

    public override ModelHead Head => Config.Head switch
    {
        BigsHead.MaskedLm => ModelHead.LanguageModel,
        BigsHead.TokenClassification => ModelHead.TokenClassification,
        BigsHead.SequenceClassification => ModelHead.SequenceClassification,
        _ => ModelHead.None,
    };

    protected override Tensor? ForwardPass(Tensor inputIds, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        if (Encode(inputIds, attentionMask) is not Tensor h || cls is null) return null;    // stopped, or no MLM head (ForwardTo only)
        var t = hLmHeadNormalized.Run(cls.Transform(h));                                     // [batch, pos, d_model]
        if (StopReached) return null;
        var logits = Precision.Linear(t, bigs.embeddings.word_embeddings.weight) + cls.predictions.bias; // [batch, pos, d_vocab]
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>The encoder's last hidden state [batch, pos, d_model] (BiGSModel's output), whatever the head.</summary>
    public Tensor Hidden(Tensor inputIds, Tensor? attentionMask = null)
    {
        using var scope = NewDisposeScope();
        return Encode(inputIds, attentionMask)!.MoveToOuterDisposeScope();
    }

    /// <summary>Token-classification logits [batch, pos, num_labels] (BiGSForTokenClassification).</summary>
    public Tensor ClassifyTokens(Tensor inputIds, Tensor? attentionMask = null)
    {
        if (Config.Head != BigsHead.TokenClassification)
            throw new NotSupportedException($"this BiGS checkpoint has a {HeadName(Config.Head)} head, not a token-classification head");
        using var scope = NewDisposeScope();
        return classifier!.forward(Encode(inputIds, attentionMask)!).MoveToOuterDisposeScope();
    }

    /// <summary>Sequence-classification logits [batch, num_labels]: pooler (masked mean, dense, tanh) then classifier.</summary>
    public Tensor Classify(Tensor inputIds, Tensor? attentionMask = null)
    {
        if (Config.Head != BigsHead.SequenceClassification)
            throw new NotSupportedException($"this BiGS checkpoint has a {HeadName(Config.Head)} head, not a sequence-classification head");
        using var scope = NewDisposeScope();
        var h = Encode(inputIds, attentionMask)!;
        return classifier!.forward(bigs.Pool(h, attentionMask, Config.PoolerType)).MoveToOuterDisposeScope();
    }

    /// <summary>Embeddings and layers; null once <see cref="HookedModel.StopReached"/>.</summary>
    Tensor? Encode(Tensor inputIds, Tensor? attentionMask)
    {
        long b = inputIds.shape[0], p = inputIds.shape[1];
        if (p > Config.MaxPositions)
            throw new ArgumentException($"sequence length {p} exceeds max_position_embeddings {Config.MaxPositions}");
        if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException($"attention mask shape [{string.Join(",", attentionMask.shape)}] must equal input_ids shape [{string.Join(",", inputIds.shape)}]");
        var x = hEmbed.Run(bigs.embeddings.Forward(inputIds, Masks.PositionIds(attentionMask, b, p, inputIds.device)));
        var order = Reversal.For(attentionMask, p);
        var mask = attentionMask?.to(x.dtype).unsqueeze(-1);                                // [batch, pos, 1]
        var maskRev = mask is null ? null : order.Apply(mask);
        foreach (var layer in bigs.encoder.Layers.TakeWhile(_ => !StopReached))            // ForwardTo: nothing after the stop hook's layer
            x = LayerScope.Run(x, h => layer.Forward(h, order, mask, maskRev));
        return StopReached ? null : x;
    }

    /// <summary>
    /// <c>blocks.{l}.fwd.kernel</c> / <c>blocks.{l}.bwd.kernel</c> at any length [1, L]: the kernels materialised from
    /// the parameters alone (the reference stores them at L = 64). The forward pass fires <c>fwd.hook_kernel</c> at
    /// the input length.
    /// </summary>
    public Tensor? Derived(string name, long[] shape)
    {
        HookName hn;
        try { hn = HookName.Parse(name); }
        catch (FormatException) { return null; }
        if (hn.Layer is not int l || l >= Config.NLayers || shape.Length != 2 || shape[0] != 1) return null;
        var layer = bigs.encoder.Layers.ElementAt(l);
        using var _ = no_grad();
        return hn.Site.Path switch
        {
            "fwd.kernel" => layer.fs4.kernel.Materialize(shape[1]),
            "bwd.kernel" => layer.bs4.kernel.Materialize(shape[1]),
            _ => null,
        };
    }

    /// <summary>
    /// BiGS _init_weights: Linear/Embedding N(0, initializer_range) (pad row zero), biases 0, LayerNorm 1/0; S4D kernels
    /// per STUDIES.md (log_step ~ U[log 0.01, log 1], A_re = −0.5, A_im_n = π·n, C ~ N(0, 0.5) per part), D ~ N(0, 1);
    /// conv paths PyTorch-default, gates 0 (sigmoid ½).
    /// </summary>
    public void InitWeights(Generator? generator = null)
    {
        double std = Config.InitializerRange;
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.Contains(".kernel.") || name.EndsWith("4.D") || name.Contains("conv.")) continue;
            if (name.EndsWith("LayerNorm.weight")) p.fill_(1.0);
            else if (name.EndsWith(".bias") || name.EndsWith("predictions.bias")) p.zero_();
            else p.normal_(0, std, generator);
        }
        if (Config.PadTokenId >= 0 && Config.PadTokenId < Config.VocabSize) bigs.embeddings.word_embeddings.weight[Config.PadTokenId].zero_();
        foreach (var layer in bigs.encoder.Layers)
        {
            foreach (var s4 in new[] { layer.fs4, layer.bs4 }) { s4.kernel.Init(generator); s4.D.normal_(0, 1, generator); }
            foreach (var cp in new[] { layer.fconv, layer.bconv })
            {
                if (cp is null) continue;
                cp.conv.ResetParameters(generator);
                cp.gate?.zero_();
            }
        }
    }
}

/// <summary>BiGSModel: embeddings, encoder, pooler.</summary>
public sealed class BigsModel : nn.Module
{
    public readonly BigsEmbeddings embeddings;
    public readonly BigsEncoder encoder;
    public readonly BigsPooler pooler;

    public BigsModel(BigsConfig c, Func<int, HookSite, HookPoint> hook) : base("bigs")
    {
        embeddings = new BigsEmbeddings(c);
        encoder = new BigsEncoder(c, hook);
        pooler = new BigsPooler(c.DModel);
        RegisterComponents();
    }

    /// <summary>Mean over (non-padding) positions, dense, tanh: [batch, d_model].</summary>
    public Tensor Pool(Tensor h, Tensor? mask, string poolerType)
    {
        Tensor avg;
        if (poolerType == "mean" || mask is null) avg = h.mean([1]);
        else
        {
            var m = mask.to(h.dtype).unsqueeze(-1);
            avg = (h * m).sum(1) / m.sum(1);
        }
        return pooler.dense.forward(avg).tanh();
    }
}

/// <summary>word + token_type(0) + position embeddings, then LayerNorm.</summary>
public sealed class BigsEmbeddings : nn.Module
{
    public readonly Embedding word_embeddings, position_embeddings, token_type_embeddings;
    public readonly Nn.LayerNorm LayerNorm;
    readonly bool absolute;

    public BigsEmbeddings(BigsConfig c) : base("embeddings")
    {
        word_embeddings = new Embedding(c.VocabSize, c.DModel);
        position_embeddings = new Embedding(c.MaxPositions, c.DModel);
        token_type_embeddings = new Embedding(c.TypeVocabSize, c.DModel);
        LayerNorm = new Nn.LayerNorm(c.DModel, c.LayerNormEps);
        absolute = c.PositionEmbeddingType == "absolute";
        RegisterComponents();
    }

    public Tensor Forward(Tensor ids, Tensor positions)                                     // ids, positions: [batch, pos]
    {
        var e = word_embeddings.forward(ids) + token_type_embeddings.weight[0];             // [batch, pos, d_model]
        if (absolute) e = e + position_embeddings.forward(positions);
        return LayerNorm.forward(e);
    }
}

/// <summary>The layer stack (HF name "encoder.layer").</summary>
public sealed class BigsEncoder : nn.Module
{
    public readonly ModuleList layer;

    public BigsEncoder(BigsConfig c, Func<int, HookSite, HookPoint> hook) : base("encoder")
    {
        layer = new ModuleList();
        for (int l = 0; l < c.NLayers; l++)
        {
            int i = l;
            layer.Add(new BigsLayer(c, i, site => hook(i, site)));
        }
        RegisterComponents();
    }

    public IEnumerable<BigsLayer> Layers => layer;
}

/// <summary>BiGSPooler: dense (+ tanh).</summary>
public sealed class BigsPooler : nn.Module
{
    public readonly Linear dense;
    public BigsPooler(int dModel) : base("pooler") { dense = new Linear(dModel, dModel, true); RegisterComponents(); }
}

/// <summary>BiGSOnlyMLMHead: predictions.transform (dense, act, LayerNorm), tied decoder, predictions.bias.</summary>
public sealed class BigsMlmHead : nn.Module
{
    public readonly BigsPredictions predictions;
    readonly Func<Tensor, Tensor> act;

    public BigsMlmHead(BigsConfig c) : base("cls")
    {
        predictions = new BigsPredictions(c);
        act = Activations.Get(c.HiddenAct, "config.json");
        RegisterComponents();
    }

    public Tensor Transform(Tensor h) =>
        predictions.transform.LayerNorm.forward(act(predictions.transform.dense.forward(h)));
}

/// <summary>cls.predictions: transform + bias (decoder tied to the word embeddings).</summary>
public sealed class BigsPredictions : nn.Module
{
    public readonly BigsTransform transform;
    public readonly Parameter bias;

    public BigsPredictions(BigsConfig c) : base("predictions")
    {
        transform = new BigsTransform(c);
        bias = new Parameter(Params.Empty(c.VocabSize));
        RegisterComponents();
    }
}

/// <summary>cls.predictions.transform: dense, LayerNorm.</summary>
public sealed class BigsTransform : nn.Module
{
    public readonly Linear dense;
    public readonly Nn.LayerNorm LayerNorm;

    public BigsTransform(BigsConfig c) : base("transform")
    {
        dense = new Linear(c.DModel, c.DModel, true);
        LayerNorm = new Nn.LayerNorm(c.DModel, c.LayerNormEps);
        RegisterComponents();
    }
}
