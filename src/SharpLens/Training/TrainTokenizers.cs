// Opens a tokenizer folder for training through SharpLens.Tokenization (the one encoder, exact for HF and SentencePiece files).
using SharpLens.Tokenization;

namespace SharpLens.Training;

/// <summary>Loads <see cref="TrainTokenizer"/>s from folders.</summary>
public static class TrainTokenizers
{
    /// <summary>The tokenizer in <paramref name="dir"/>: any tokenizer <see cref="Tokenizer.Load"/> reads.</summary>
    public static TrainTokenizer Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"tokenizer folder not found: {dir}");
        var tok = Tokenizer.Load(dir);
        int? mask = new[] { "<mask>", "[MASK]", "<MASK>" }.Select(tok.TokenToId).FirstOrDefault(id => id is not null);
        var specials = tok.AddedTokens.Where(t => t.Special).Select(t => t.Id).ToHashSet();
        foreach (var id in new[] { tok.BosId, tok.EosId, tok.PadId, tok.UnkId, mask }) if (id is int i) specials.Add(i);
        return new TrainTokenizer
        {
            Encode = s => tok.Encode(s, addSpecialTokens: false).Ids.ToArray(),
            EncodeForInference = s => tok.Encode(s, addSpecialTokens: true).Ids.ToArray(),
            EncodeWithOffsets = s => { var e = tok.Encode(s, addSpecialTokens: false); return (e.Ids.ToArray(), e.Offsets.ToArray()); },
            VocabSize = tok.VocabSize, BosId = tok.BosId, EosId = tok.EosId, PadId = tok.PadId, MaskId = mask, SpecialIds = specials,
            TokenToId = tok.TokenToId, Decode = ids => tok.Decode(ids), Directory = dir, Hash = TokenizerFiles.Hash(dir),
        };
    }
}
