// The limits SharpLens enforces on untrusted inputs before allocating anything (README: "Limits on inputs").
namespace SharpLens.Loading;

/// <summary>
/// Bounds checked before allocation: config.json dimensions, the size a checkpoint declares against this machine's memory,
/// and the pickle limits of <see cref="TorchZipStateDict"/>. Each refusal names the file, the key and the limit.
/// </summary>
internal static class InputLimits
{
    /// <summary>Widths (hidden, MLP, head, inner, rank): 1 … 2^17 = 131,072 (the largest released models use ≤ 53,248).</summary>
    public const int MaxWidth = 1 << 17;
    /// <summary>Layers: 1 … 1,024.</summary>
    public const int MaxLayers = 1 << 10;
    /// <summary>Attention heads and key/value heads: 1 … 4,096.</summary>
    public const int MaxHeads = 1 << 12;
    /// <summary>Vocabulary: 1 … 2^22 = 4,194,304.</summary>
    public const int MaxVocab = 1 << 22;
    /// <summary>Positions: 1 … 2^20 = 1,048,576.</summary>
    public const int MaxPositions = 1 << 20;
    /// <summary>SSM state size, convolution kernel, expand factor and other small counts: 1 … 4,096.</summary>
    public const int MaxSmall = 1 << 12;

    /// <summary>config.json integer keys that size tensors, with their allowed range (inclusive).</summary>
    public static readonly IReadOnlyDictionary<string, (int Min, int Max)> ConfigKeys = new Dictionary<string, (int, int)>(StringComparer.Ordinal)
    {
        ["hidden_size"] = (1, MaxWidth), ["n_embd"] = (1, MaxWidth), ["d_model"] = (1, MaxWidth), ["embedding_size"] = (1, MaxWidth),
        ["intermediate_size"] = (1, MaxWidth), ["n_inner"] = (1, MaxWidth), ["head_dim"] = (1, MaxWidth), ["time_step_rank"] = (1, MaxWidth),
        ["num_ssm"] = (1, MaxWidth),
        ["num_hidden_layers"] = (1, MaxLayers), ["n_layer"] = (1, MaxLayers),
        ["num_attention_heads"] = (1, MaxHeads), ["n_head"] = (1, MaxHeads), ["num_key_value_heads"] = (1, MaxHeads),
        ["vocab_size"] = (1, MaxVocab), ["type_vocab_size"] = (1, MaxSmall), ["num_labels"] = (1, MaxVocab),
        ["max_position_embeddings"] = (1, MaxPositions), ["n_positions"] = (1, MaxPositions),
        ["state_size"] = (1, MaxSmall), ["conv_kernel"] = (1, MaxSmall), ["conv_kernel_size"] = (0, MaxSmall), ["expand"] = (1, MaxSmall),
        ["pad_vocab_size_multiple"] = (1, MaxSmall), ["pretraining_tp"] = (1, MaxSmall),
    };

    /// <summary>Physical memory available to this process (the container limit when there is one).</summary>
    public static long AvailableMemoryBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Throws unless <paramref name="bytes"/> fits in this machine's memory (checked before the allocation).</summary>
    public static void RequireMemory(long bytes, string what)
    {
        long available = AvailableMemoryBytes;
        if (bytes > available)
            throw new InvalidDataException($"{what} needs {Gib(bytes)} but this machine has {Gib(available)} of memory");
    }

    /// <summary>Elements a model built from a config may allocate beyond what its weights declare (tied heads,
    /// parameters a checkpoint may omit): twice the checkpoint's elements plus 2^24.</summary>
    public static long ParameterBudget(long checkpointElements) =>
        checkpointElements > long.MaxValue / 4 ? long.MaxValue : 2 * checkpointElements + (1L << 24);

    static string Gib(long bytes) => $"{bytes / (double)(1L << 30):0.##} GiB";
}
