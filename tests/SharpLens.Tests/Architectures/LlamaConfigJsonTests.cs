// LlamaConfig.ToJson writes keys that LlamaConfig.From reads back to the same config.
using SharpLens.Loading;

namespace SharpLens.Tests.Architectures;

public class LlamaConfigJsonTests
{
    [Fact]
    public void Llama_config_json_round_trips()
    {
        var c = SharpLens.Architectures.Llama.LlamaConfig.From(HfConfig.FromJson(
            """{"model_type": "llama", "hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2, "rope_scaling": {"type": "linear", "factor": 2.0}}"""));
        Assert.Equal(c, SharpLens.Architectures.Llama.LlamaConfig.From(HfConfig.FromJson(c.ToJson())));
        Assert.Contains("\"model_type\": \"llama\"", c.ToJson());
    }
}
