// Turns --prompt text into ids with the model folder's tokenizer (and names ids for display).
using SharpLens.Tokenization;

namespace SharpLens.Cli.Commands;

internal static class PromptIds
{
    static readonly Dictionary<string, Tokenizer?> Loaded = new();

    static Tokenizer? TryLoad(string modelDir)
    {
        if (Loaded.TryGetValue(modelDir, out var t)) return t;
        bool has = File.Exists(Path.Combine(modelDir, "tokenizer.json")) || File.Exists(Path.Combine(modelDir, "tokenizer.model"))
            || File.Exists(Path.Combine(modelDir, "vocab.json"));
        return Loaded[modelDir] = has ? Tokenizer.Load(modelDir) : null;
    }

    /// <summary>Encodes each prompt as transformers' encode does (special tokens such as BOS added per the tokenizer config).</summary>
    public static List<long[]> Encode(string modelDir, IReadOnlyList<string> prompts)
    {
        var tok = TryLoad(modelDir) ?? throw new UsageException(
            $"--prompt needs a tokenizer in {modelDir} (tokenizer.json, tokenizer.model or vocab.json + merges.txt); use --ids instead");
        var seqs = prompts.Select(p => tok.Encode(p).Ids.Select(i => (long)i).ToArray()).ToList();
        if (seqs.Any(s => s.Length == 0)) throw new UsageException("a prompt encodes to no tokens");
        return seqs;
    }

    /// <summary>" 'tok'" for display, or "" when the folder has no tokenizer.</summary>
    public static string Describe(string modelDir, int id)
    {
        var tok = TryLoad(modelDir);
        if (tok is null) return "";
        var s = tok.Decode([id]);
        return " " + Spectre.Console.Markup.Escape(System.Text.Json.JsonSerializer.Serialize(s));
    }
}
