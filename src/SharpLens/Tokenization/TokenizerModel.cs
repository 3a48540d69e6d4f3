// The model stage of the pipeline (BPE or sentencepiece BPE) and the sink tokens with original offsets go into.
namespace SharpLens.Tokenization;

/// <summary>Collects token ids and their [start, end) offsets into the original input (UTF-16 indices).</summary>
internal sealed class TokenSink
{
    public readonly List<int> Ids = new();
    public readonly List<int> Starts = new();
    public readonly List<int> Ends = new();

    public void Add(int id, int start, int end) { Ids.Add(id); Starts.Add(start); Ends.Add(end); }
}

internal interface ITokenizerModel
{
    /// <summary>Tokenizes one pre-tokenized piece, appending tokens with original offsets.</summary>
    void Tokenize(NormalizedString piece, TokenSink sink);

    /// <summary>Number of ids the model defines (max id + 1).</summary>
    int Size { get; }

    string? IdToToken(int id);

    int? TokenToId(string token);
}
