// The gpt_bigcode family as the loader finds it (Loading/ModelFamily.cs).
using SharpLens.Loading;

namespace SharpLens.Architectures.GptBigCode;

/// <summary>model_type <c>gpt_bigcode</c>: <see cref="GptBigCodeForCausalLM"/>.</summary>
internal sealed class GptBigCodeFamily : IModelFamily
{
    public string ModelType => "gpt_bigcode";
    public Architecture Create(HfConfig config) => GptBigCodeForCausalLM.Create(config);
    public void InitWeights(HookedModel model, double std) => ((GptBigCodeForCausalLM)model).InitWeights(std);
}
