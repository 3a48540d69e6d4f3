// The BiGS family as the loader finds it (Loading/ModelFamily.cs).
using SharpLens.Loading;

namespace SharpLens.Architectures.Bigs;

/// <summary>model_type <c>BiGS</c>: <see cref="BigsForMaskedLM"/>.</summary>
internal sealed class BigsFamily : IModelFamily
{
    public string ModelType => "BiGS";
    public Architecture Create(HfConfig config) => BigsForMaskedLM.Create(config);
    public void InitWeights(HookedModel model, double std) => ((BigsForMaskedLM)model).InitWeights();   // initializer_range from the config, then the S4D init
}
