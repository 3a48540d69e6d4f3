// The roformer family as the loader finds it (Loading/ModelFamily.cs).
using SharpLens.Loading;

namespace SharpLens.Architectures.RoFormer;

/// <summary>model_type <c>roformer</c>: <see cref="RoFormerForMaskedLM"/>.</summary>
internal sealed class RoFormerFamily : IModelFamily
{
    public string ModelType => "roformer";
    public Architecture Create(HfConfig config) => RoFormerForMaskedLM.Create(config);
    public void InitWeights(HookedModel model, double std) => ((RoFormerForMaskedLM)model).InitWeights(std);
}
