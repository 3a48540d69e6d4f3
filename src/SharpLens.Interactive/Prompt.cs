// A prompt as a notebook holds it: the text, its ids, each token's text, and the [1, pos] batch the model takes.
using SharpLens.Reports;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Interactive;

/// <summary>
/// A tokenized prompt (a trailing post-processor EOS dropped, as the analysis verbs read next-token predictions).
/// Building the batch here also keeps notebook cells free of TorchSharp's <c>tensor(…)</c> overloads, whose
/// System.Numerics references make the C# kernel print a CS1701 warning under every cell that calls them.
/// </summary>
public sealed record Prompt(string Text, long[] Ids, IReadOnlyList<string> Tokens)
{
    /// <summary>Encodes <paramref name="text"/>; throws <see cref="ArgumentException"/> when it encodes to no tokens.</summary>
    public static Prompt Of(Tokenizer tok, string text)
    {
        var (ids, texts) = PromptInput.Encode(tok, text);
        if (ids.Length == 0) throw new ArgumentException($"the prompt '{text}' encodes to no tokens");
        return new Prompt(text, ids, texts);
    }

    /// <summary>A prompt from ids already encoded (e.g. a prepared study prompt).</summary>
    public static Prompt FromIds(string text, IEnumerable<int> ids, IReadOnlyList<string> tokens) => new(text, ids.Select(i => (long)i).ToArray(), tokens);

    /// <summary>The ids as a [batch = 1, pos] int64 tensor (a new tensor each call).</summary>
    public Tensor Batch() => tensor(Ids).unsqueeze(0);
}
