// Real Python files (from /usr/lib/python3.11 when present): offsets tile the text; two independent Llama paths agree.
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Tokenization;

public sealed class RealCodeOffsetsTests
{
    const string CorpusDir = "/usr/lib/python3.11";

    [DirectoryTheory(CorpusDir, fixtures: true)]
    [InlineData("codellama")]
    [InlineData("llama-spm")]
    [InlineData("gpt2")]
    [InlineData("starcoder")]
    [InlineData("gpt-neox")]
    public void Offsets_tile_300_random_code_files(string folder)
    {
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

    // CodeLlama's tokenizer.json (HF BPE, merges by rank) and Llama 2's tokenizer.model (sentencepiece, merges by
    // score) share one vocabulary and must give the same ids wherever no special-token text occurs (fixtures README).
    [DirectoryFact(CorpusDir, fixtures: true)]
    public void Hf_json_and_sentencepiece_model_agree_on_real_code()
    {
        var files = Directory.EnumerateFiles(CorpusDir, "*.py", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var rng = new Random(99);
        var hf = FixtureCases.Tokenizer("codellama");
        var spm = FixtureCases.Tokenizer("llama-spm");
        int compared = 0;
        foreach (var path in files.OrderBy(_ => rng.Next()).Take(100))
        {
            var text = File.ReadAllText(path);
            if (text.Contains("<s>") || text.Contains("</s>") || text.Contains("<unk>") || text.Contains("\u2581<")) continue;
            Assert.True(hf.Encode(text, false).Ids.SequenceEqual(spm.Encode(text, false).Ids), $"{path}: tokenizer.json and tokenizer.model disagree");
            compared++;
        }
        Assert.True(compared > 50, $"only {compared} files compared");
    }
}
