// Parameter containers of the BERT module layout (attention.self / attention.output / intermediate / output), so that
// encoder families (RoBERTa, RoFormer) get HF parameter names. They hold weights only; each family writes its own forward.
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>HF <c>*SelfAttention</c> weights: query, key, value (nn.Linear with bias).</summary>
public sealed class BertSelfAttentionWeights : nn.Module
{
    public readonly Linear query, key, value;
    public BertSelfAttentionWeights(long dModel, long dAttn) : base("self")
    {
        query = new Linear(dModel, dAttn, true);
        key = new Linear(dModel, dAttn, true);
        value = new Linear(dModel, dAttn, true);
        RegisterComponents();
    }
}

/// <summary>HF <c>*SelfOutput</c> / <c>*Output</c> weights: dense, then LayerNorm(dense(x) + residual).</summary>
public sealed class BertDenseNormWeights : nn.Module
{
    public readonly Linear dense;
    public readonly LayerNorm LayerNorm;
    public BertDenseNormWeights(long inFeatures, long dModel, double eps) : base("output")
    {
        dense = new Linear(inFeatures, dModel, true);
        LayerNorm = new LayerNorm(dModel, eps);
        RegisterComponents();
    }
}

/// <summary>HF <c>*Attention</c>: <c>self</c> (q/k/v) and <c>output</c> (dense + LayerNorm).</summary>
public sealed class BertAttentionWeights : nn.Module
{
    public readonly BertSelfAttentionWeights self;
    public readonly BertDenseNormWeights output;
    public BertAttentionWeights(long dModel, double eps) : base("attention")
    {
        self = new BertSelfAttentionWeights(dModel, dModel);
        output = new BertDenseNormWeights(dModel, dModel, eps);
        RegisterComponents();
    }
}

/// <summary>HF <c>*Intermediate</c>: dense (d_model → d_mlp); the activation is applied by the family's block.</summary>
public sealed class BertIntermediateWeights : nn.Module
{
    public readonly Linear dense;
    public BertIntermediateWeights(long dModel, long dMlp) : base("intermediate")
    {
        dense = new Linear(dModel, dMlp, true);
        RegisterComponents();
    }
}
