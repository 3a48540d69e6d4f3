// Offsets on 300 random real Python files (from /usr/lib/python3.11 when present): monotone, tiling the text.
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Tokenization;

public sealed class RealCodeOffsetsTests
{
    const string CorpusDir = "/usr/lib/python3.11";

    [FixtureTheory]
    [InlineData("codellama")]
    [InlineData("llama-spm")]
    [InlineData("gpt2")]
    [InlineData("starcoder")]
    [InlineData("gpt-neox")]
    public void Offsets_tile_300_random_code_files(string folder)
    {
        if (!Directory.Exists(CorpusDir)) return;   // no corpus on this machine: nothing to check
        var files = Directory.EnumerateFiles(CorpusDir, "*.py", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var rng = new Random(2024);
        var picked = files.OrderBy(_ => rng.Next()).Take(300).ToList();
        var tok = FixtureCases.Tokenizer(folder);
        var failures = new List<string>();
        foreach (var path in picked)
        {
            var text = File.ReadAllText(path);
            if (text.Length > 200_000) text = text[..200_000];
            var e = tok.Encode(text, addSpecialTokens: false);
            if (OffsetChecks.Check(text, e) is { } problem) failures.Add($"{path}: {problem}");
        }
        Assert.True(failures.Count == 0, $"{folder}: {failures.Count}/{picked.Count} files with bad offsets:\n" + string.Join("\n", failures.Take(10)));
    }
}
