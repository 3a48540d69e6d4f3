// Pipeline components the fixture tokenizers do not use: split behaviours, Metaspace, Strip/Lowercase/NFD, astral regex.
using SharpLens.Tokenization;

namespace SharpLens.Tests.Tokenization;

public sealed class ComponentTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sharplens-comp-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // Expected splits are the examples of HF's SplitDelimiterBehavior documentation.
    [Theory]
    [InlineData("Removed", "the|final|countdown")]
    [InlineData("Isolated", "the|-|final|-|-|countdown")]
    [InlineData("MergedWithPrevious", "the-|final-|-|countdown")]
    [InlineData("MergedWithNext", "the|-final|-|-countdown")]
    [InlineData("Contiguous", "the|-|final|--|countdown")]
    public void Split_behaviours_match_hf(string behavior, string expected)
    {
        const string text = "the-final--countdown";
        var matches = new List<(int, int)>();
        for (int i = 0; i < text.Length; i++) if (text[i] == '-') matches.Add((i, i + 1));
        var output = new List<NormalizedString>();
        PreTokenizers.SplitByMatches(NormalizedString.FromOriginal(text, 0, text.Length), matches, Enum.Parse<SplitBehavior>(behavior), false, output);
        Assert.Equal(expected, string.Join("|", output.Select(p => p.Text)));
    }

    [Fact]
    public void Gpt2_regex_keeps_astral_letters_and_emoji_whole()
    {
        var regex = CodePointRegex.Create(PreTokenizers.Gpt2Pattern, "test");
        var text = "a 𝐀𝐁c 😀😀)) 𠀀x";                     // math bold letters and a CJK extension B char are \p{L}
        var pieces = regex.Matches(text).Select(m => text[m.Start..m.End]).ToArray();
        Assert.Equal(["a", " 𝐀𝐁c", " 😀😀))", " 𠀀x"], pieces);
    }

    string Write(string json)
    {
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json);
        return dir;
    }

    [Fact]
    public void Metaspace_pre_tokenizer_and_decoder_round_trip_with_offsets()
    {
        var tok = Tokenizer.Load(Write("""
            {"model": {"type": "BPE", "vocab": {"▁": 0, "a": 1, "b": 2, "▁a": 3, "▁ab": 4}, "merges": ["▁ a", "▁a b"]},
             "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
             "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}}
            """));
        var e = tok.Encode("ab ab");
        Assert.Equal([4, 4], e.Ids);
        Assert.Equal([(0, 2), (2, 5)], e.Offsets);
        Assert.Equal("ab ab", tok.Decode(e.Ids));
    }

    [Fact]
    public void Normalizers_strip_lowercase_and_nfd_keep_offsets_in_the_original()
    {
        var tok = Tokenizer.Load(Write("""
            {"model": {"type": "BPE", "vocab": {"e": 0, "\u0301": 1, "x": 2, "ex": 3}, "merges": ["e x"]},
             "normalizer": {"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": true, "strip_right": true},
                            {"type": "Lowercase"}, {"type": "NFD"}]}}
            """));
        var e = tok.Encode("  ÉX ");                            // É (U+00C9) -> e + U+0301 under NFD
        Assert.Equal([0, 1, 2], e.Ids);
        Assert.Equal([(2, 3), (2, 3), (3, 4)], e.Offsets);
    }

    [Fact]
    public void Added_tokens_lstrip_rstrip_and_single_word()
    {
        var tok = Tokenizer.Load(Write("""
            {"model": {"type": "BPE", "vocab": {"a": 0, " ": 1, "b": 2}, "merges": []},
             "added_tokens": [{"id": 3, "content": "<m>", "special": true, "normalized": false, "lstrip": true, "rstrip": true, "single_word": false},
                              {"id": 4, "content": "b", "special": false, "normalized": false, "lstrip": false, "rstrip": false, "single_word": true}]}
            """));
        var e = tok.Encode("a  <m>  a");
        Assert.Equal([0, 3, 0], e.Ids);                         // the spaces around <m> belong to it
        Assert.Equal([(0, 1), (1, 8), (8, 9)], e.Offsets);
        Assert.Equal([4, 1, 0, 2], tok.Encode("b ab").Ids);      // "b" alone is the added token, inside "ab" it is not
        Assert.Equal("a", tok.Decode([0, 3], skipSpecialTokens: true));
    }

    [Fact]
    public void Byte_fallback_offsets_cover_the_whole_character()
    {
        var vocab = string.Join(", ", Enumerable.Range(0, 256).Select(b => $"\"<0x{b:X2}>\": {b}"));
        var tok = Tokenizer.Load(Write("{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true, \"vocab\": {" + vocab + ", \"a\": 256}, \"merges\": []}," +
            "\"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"}]}}"));
        var e = tok.Encode("a😀");
        Assert.Equal([256, 0xF0, 0x9F, 0x98, 0x80], e.Ids);
        Assert.Equal([(0, 1), (1, 3), (1, 3), (1, 3), (1, 3)], e.Offsets);
        Assert.Equal("a😀", tok.Decode(e.Ids));
        Assert.Equal("a\uFFFD\uFFFD", tok.Decode([256, 0xF0, 0x9F]));   // HF: one U+FFFD per byte of an invalid run
    }
}
