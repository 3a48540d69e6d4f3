// Turns --prompt text into ids with the model folder's tokenizer (and names ids for display).
namespace SharpLens.Cli.Commands;

internal static class PromptIds
{
    public static List<long[]> Encode(string modelDir, IReadOnlyList<string> prompts) =>
        throw new UsageException($"--prompt needs a tokenizer; this build reads --ids only (tokenizer support for {modelDir} lands with the tokenizer module)");

    public static string Describe(string modelDir, int id) => "";
}
