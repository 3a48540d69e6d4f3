// Bad and extreme input: missing files, malformed JSON, unknown components, lone surrogates, a 10 MB single line.
using SharpLens.Tests.Support;
using SharpLens.Tokenization;

namespace SharpLens.Tests.Tokenization;

public sealed class RobustnessTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sharplens-tok-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Missing_folder_and_missing_files_are_clear_errors()
    {
        var ex1 = Assert.Throws<DirectoryNotFoundException>(() => Tokenizer.Load(Path.Combine(dir, "nope")));
        Assert.Contains("nope", ex1.Message);
        var ex2 = Assert.Throws<FileNotFoundException>(() => Tokenizer.Load(dir));
        Assert.Contains("tokenizer.json, tokenizer.model or vocab.json + merges.txt", ex2.Message);
    }

    [Fact]
    public void Malformed_json_names_the_file()
    {
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), "{\"model\": {\"type\": \"BPE\", ");
        var ex = Assert.Throws<FormatException>(() => Tokenizer.Load(dir));
        Assert.Contains("tokenizer.json", ex.Message);
        Assert.Contains("malformed JSON", ex.Message);
    }

    [Theory]
    [InlineData("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", "model type 'Unigram'")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"normalizer\": {\"type\": \"BertNormalizer\"}}", "normalizer type 'BertNormalizer'")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"CharDelimiterSplit\"}}", "pre_tokenizer type 'CharDelimiterSplit'")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"decoder\": {\"type\": \"WordPiece\"}}", "decoder type 'WordPiece'")]
    public void Unsupported_components_are_named(string json, string expected)
    {
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json);
        var ex = Assert.Throws<NotSupportedException>(() => Tokenizer.Load(dir));
        Assert.Contains(expected, ex.Message);
        Assert.Contains("tokenizer.json", ex.Message);
    }

    [Fact]
    public void Garbage_sentencepiece_model_is_a_format_error()
    {
        File.WriteAllBytes(Path.Combine(dir, "tokenizer.model"), [0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]);
        var ex = Assert.Throws<FormatException>(() => Tokenizer.Load(dir));
        Assert.Contains("tokenizer.model", ex.Message);
    }

    [FixtureTheory]
    [InlineData("codellama")]
    [InlineData("llama-spm")]
    [InlineData("gpt2")]
    [InlineData("starcoder")]
    [InlineData("gpt-neox")]
    public void Lone_surrogates_encode_as_U_FFFD(string folder)
    {
        var tok = FixtureCases.Tokenizer(folder);
        var bad = "a\uD800b\uDC00c(\uD83D";
        var replaced = "a\uFFFDb\uFFFDc(\uFFFD";
        var e = tok.Encode(bad, addSpecialTokens: false);
        Assert.Equal(tok.Encode(replaced, addSpecialTokens: false).Ids, e.Ids);
        Assert.Null(OffsetChecks.Check(bad, e));
    }

    [FixtureTheory]
    [InlineData("codellama")]
    [InlineData("llama-spm")]
    [InlineData("gpt2")]
    [InlineData("starcoder")]
    [InlineData("gpt-neox")]
    public void Ten_megabyte_single_line_finishes_and_covers_the_text(string folder)
    {
        var tok = FixtureCases.Tokenizer(folder);
        var text = TenMegabyteLine();
        var e = tok.Encode(text, addSpecialTokens: false);
        Assert.Null(OffsetChecks.Check(text, e));
        Assert.True(e.Count > 100_000, $"{folder}: only {e.Count} tokens for 10 MB");
        // Not a speed test (no timed assertions): linear encoding takes seconds, while a quadratic blow-up on 10 M
        // characters would take hours and show as a run that never finishes; speed lives in bench/.
    }

    static string? tenMb;

    static string TenMegabyteLine()
    {
        if (tenMb != null) return tenMb;
        var rng = new Random(7);
        var words = new[] { "print(", "str(", "x", "))", ")))", " ", "  ", "foo_bar", "=", "123", "é", "日本", "😀", "\t", "return", ",", "[", "]" };
        var sb = new System.Text.StringBuilder(10_000_100);
        while (sb.Length < 10_000_000) sb.Append(words[rng.Next(words.Length)]);
        return tenMb = sb.ToString();
    }
}
