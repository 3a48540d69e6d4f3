// What a notebook displays to see an attention pattern: the tensor and the tokens, checked only when drawn.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens.Interactive;

/// <summary>
/// An attention pattern to display token by token: <see cref="Pattern"/> is a cached <c>hook_pattern</c> [batch, head,
/// query, key] (or [head, query, key], [query, key]); <see cref="Batch"/> picks the sequence. The tensor is read when the
/// view is drawn, so a disposed cache or a tensor of another rank shows as a message, not an exception.
/// </summary>
public sealed record AttentionView(Tensor Pattern, IReadOnlyList<string>? Tokens, string Title = "attention pattern", int Batch = 0)
{
    /// <summary>Layer <paramref name="layer"/>'s pattern from a cache that holds <c>blocks.{layer}.attn.hook_pattern</c>.</summary>
    public static AttentionView Of(ActivationCache cache, int layer, IReadOnlyList<string>? tokens, int batch = 0) =>
        new(cache[HookName.Pattern(layer)], tokens, HookName.Pattern(layer).ToString(), batch);
}
