// The gpt2 family as the loader finds it (Loading/ModelFamily.cs).
using SharpLens.Loading;

namespace SharpLens.Architectures.Gpt2;

/// <summary>model_type <c>gpt2</c>: <see cref="Gpt2LMHeadModel"/>.</summary>
internal sealed class Gpt2Family : IModelFamily
{
    public string ModelType => "gpt2";
    public Architecture Create(HfConfig config) => Gpt2LMHeadModel.Create(config);
    public void InitWeights(HookedModel model, double std) => ((Gpt2LMHeadModel)model).InitWeights(std);
}
