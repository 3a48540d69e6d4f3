// What training needs from a tokenizer: an encoder, the special ids, a content hash and the files to ship with the model.
namespace SharpLens.Training;

/// <summary>
/// A tokenizer as seen by the trainer. <see cref="Encode"/> turns one document into ids without special tokens;
/// <see cref="Hash"/> identifies the tokenizer (it keys the token cache and checkpoints).
/// </summary>
public sealed record TrainTokenizer
{
    public required Func<string, int[]> Encode { get; init; }
    public required int VocabSize { get; init; }
    /// <summary>Content hash of the tokenizer (e.g. SHA-256 of its files).</summary>
    public required string Hash { get; init; }
    public int? BosId { get; init; }
    public int? EosId { get; init; }
    public int? PadId { get; init; }
    /// <summary>The mask token id (required for mlm).</summary>
    public int? MaskId { get; init; }
    /// <summary>Ids never masked or predicted as data (bos/eos/pad/mask/unk …).</summary>
    public IReadOnlySet<int> SpecialIds { get; init; } = new HashSet<int>();
    /// <summary>Id of a token string, or null (used by evaluations).</summary>
    public Func<string, int?> TokenToId { get; init; } = _ => null;
    /// <summary>Ids → text (special tokens kept), or null when the tokenizer cannot decode (used to check generated data).</summary>
    public Func<int[], string>? Decode { get; init; }
    /// <summary>Encoding as a user of the model would do it (with the tokenizer's special-token template).</summary>
    public Func<string, int[]>? EncodeForInference { get; init; }
    /// <summary>Encoding without special tokens, with each token's [Start, End) character span of the input (null when unknown).</summary>
    public Func<string, (int[] Ids, (int Start, int End)[] Offsets)>? EncodeWithOffsets { get; init; }
    /// <summary>The folder whose tokenizer files are copied next to a saved model (null: nothing to copy).</summary>
    public string? Directory { get; init; }

    /// <summary>The token placed between documents: eos, else bos.</summary>
    public int Separator => EosId ?? BosId ?? throw new InvalidOperationException(
        "the tokenizer has neither an eos nor a bos token; one is needed to separate documents in the training stream");
}
