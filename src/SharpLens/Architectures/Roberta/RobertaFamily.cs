// The roberta family as the loader finds it (Loading/ModelFamily.cs).
using SharpLens.Loading;

namespace SharpLens.Architectures.Roberta;

/// <summary>model_type <c>roberta</c>: <see cref="RobertaForMaskedLM"/>.</summary>
internal sealed class RobertaFamily : IModelFamily
{
    public string ModelType => "roberta";
    public Architecture Create(HfConfig config) => RobertaForMaskedLM.Create(config);
    public void InitWeights(HookedModel model, double std) => ((RobertaForMaskedLM)model).InitWeights(std);
}
