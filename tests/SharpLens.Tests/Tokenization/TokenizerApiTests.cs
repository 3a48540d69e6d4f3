// Tokenizer properties (special ids, add_bos), id/token lookups, batch encoding with padding, truncation and masks.
using SharpLens.Tests.Support;
using SharpLens.Tokenization;

namespace SharpLens.Tests.Tokenization;

public sealed class TokenizerApiTests
{
    [FixtureFact]
    public void Special_ids_and_defaults_follow_transformers()
    {
        var llama = FixtureCases.Tokenizer("codellama");
        Assert.Equal((1, 2, 0), (llama.BosId, llama.EosId, llama.UnkId));
        Assert.Null(llama.PadId);
        Assert.True(llama.AddBosToken);
        Assert.False(llama.AddEosToken);
        Assert.Equal(32004, llama.VocabSize);
        Assert.Equal("▁<PRE>", llama.IdToToken(32000));
        Assert.Equal(32001, llama.TokenToId("▁<MID>"));
        Assert.Equal(1723, llama.TokenToId("▁)"));
        Assert.Null(llama.TokenToId("no such token"));
        Assert.Equal([1, 1723], llama.Encode(")").Ids);            // default: add special tokens, as transformers' encode

        var spm = FixtureCases.Tokenizer("llama-spm");
        Assert.Equal((1, 2, 0), (spm.BosId, spm.EosId, spm.UnkId));
        Assert.True(spm.AddBosToken);
        Assert.Equal(32000, spm.VocabSize);

        var gpt2 = FixtureCases.Tokenizer("gpt2");
        Assert.Equal(50256, gpt2.EosId);
        Assert.False(gpt2.AddBosToken);
        Assert.Equal(gpt2.Encode("hello world", false).Ids, gpt2.Encode("hello world").Ids);   // GPT-2 adds nothing

        var starcoder = FixtureCases.Tokenizer("starcoder");
        Assert.Equal(49152, starcoder.VocabSize);
        Assert.Equal([0], starcoder.Encode("<|endoftext|>").Ids);
    }

    [FixtureFact]
    public void Batch_pads_truncates_and_masks()
    {
        var tok = FixtureCases.Tokenizer("codellama");
        var texts = new[] { "print(x)", "))))", "def f(a, b):\n    return a + b" };
        var right = tok.EncodeBatch(texts, padId: 0);
        int width = texts.Max(t => tok.Encode(t).Count);
        Assert.All(right.Ids, row => Assert.Equal(width, row.Length));
        for (int b = 0; b < texts.Length; b++)
        {
            var single = tok.Encode(texts[b]);
            Assert.Equal(single.Ids, right.Ids[b].Take(single.Count));
            Assert.All(right.Ids[b].Skip(single.Count), id => Assert.Equal(0, id));
            Assert.Equal(single.Count, right.AttentionMask[b].Sum());
            Assert.Equal(single.Offsets, right.Offsets[b].Take(single.Count));
        }
        var left = tok.EncodeBatch(texts, paddingSide: Side.Left, padId: 0);
        var one = tok.Encode(texts[1]);
        Assert.Equal(one.Ids, left.Ids[1].Skip(width - one.Count));
        Assert.Equal(Enumerable.Repeat(0, width - one.Count).Concat(Enumerable.Repeat(1, one.Count)), left.AttentionMask[1]);

        var truncated = tok.EncodeBatch(texts, maxLength: 3, padId: 0);
        Assert.All(truncated.Ids, row => Assert.Equal(3, row.Length));
        Assert.Equal(tok.Encode(texts[2]).Ids.Take(3), truncated.Ids[2]);
        var fromLeft = tok.EncodeBatch(texts, maxLength: 3, truncationSide: Side.Left, padId: 0);
        Assert.Equal(tok.Encode(texts[2]).Ids.TakeLast(3), fromLeft.Ids[2]);
    }

    [FixtureFact]
    public void Batch_without_a_pad_token_says_so()
    {
        var tok = FixtureCases.Tokenizer("codellama");
        var ex = Assert.Throws<InvalidOperationException>(() => tok.EncodeBatch(["a", "a b c d"]));
        Assert.Contains("no pad token", ex.Message);
    }

    [FixtureFact]
    public void A_path_to_a_tokenizer_file_loads_that_file()
    {
        var tok = Tokenizer.Load(Path.Combine(Fixtures.Tokenizer("codellama"), "tokenizer.json"));
        Assert.EndsWith("tokenizer.json", tok.Source);
        Assert.Equal([29871, 13697], tok.Encode("))))", false).Ids);
    }

    // GPT-NeoX normalizes with NFC, also under InvariantGlobalization (where string.Normalize does nothing).
    [FixtureFact]
    public void Gpt_neox_applies_nfc()
    {
        var tok = FixtureCases.Tokenizer("gpt-neox");
        var decomposed = "cafe\u0301 = 1";
        var e = tok.Encode(decomposed);
        Assert.Equal(tok.Encode("caf\u00e9 = 1").Ids, e.Ids);
        Assert.Null(OffsetChecks.Check(decomposed, e));
    }

    [FixtureFact]
    public void Decode_rejects_unknown_ids()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FixtureCases.Tokenizer("gpt2").Decode([50257]));
        Assert.Throws<ArgumentOutOfRangeException>(() => FixtureCases.Tokenizer("llama-spm").Decode([-1]));
    }
}
