// The llama family as the loader finds it (Loading/ModelFamily.cs).
using SharpLens.Loading;

namespace SharpLens.Architectures.Llama;

/// <summary>model_type <c>llama</c>: <see cref="LlamaForCausalLM"/>.</summary>
internal sealed class LlamaFamily : IModelFamily
{
    public string ModelType => "llama";
    public Architecture Create(HfConfig config) => LlamaForCausalLM.Create(config);
    public void InitWeights(HookedModel model, double std) => ((LlamaForCausalLM)model).InitWeights(std);
}
