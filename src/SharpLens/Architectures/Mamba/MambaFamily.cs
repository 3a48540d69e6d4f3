// The mamba family as the loader finds it (Loading/ModelFamily.cs).
using SharpLens.Loading;

namespace SharpLens.Architectures.Mamba;

/// <summary>model_type <c>mamba</c>: <see cref="MambaForCausalLM"/>.</summary>
internal sealed class MambaFamily : IModelFamily
{
    public string ModelType => "mamba";
    public Architecture Create(HfConfig config) => MambaForCausalLM.Create(config);
    public void InitWeights(HookedModel model, double std) => ((MambaForCausalLM)model).InitWeights();   // HF Mamba init (dt, A_log, D); std unused

    /// <summary>A state-spaces (mamba_ssm) config.json, which has no model_type.</summary>
    public HfConfig? Adopt(HfConfig config) => StateSpacesConfig.Matches(config) ? StateSpacesConfig.ToHf(config) : null;
}
