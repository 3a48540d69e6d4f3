// Fuzzing tokenizer.json (seeded mutations): mutated values and bytes raise only the documented exceptions, and a tokenizer that
// loads encodes and decodes without surprises, within a bound on managed allocation.
using SharpLens.Tests.Support;
using SharpLens.Tokenization;

namespace SharpLens.Tests.Tokenization;

public sealed class TokenizerFuzzTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sharplens-tokfuzz-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Loading documents FormatException (malformed or inconsistent file) and NotSupportedException (a feature we
    /// do not implement); encoding documents InvalidOperationException (text the vocabulary cannot represent).</summary>
    static readonly Type[] Documented = [typeof(FormatException), typeof(NotSupportedException), typeof(InvalidOperationException)];

    const string Sample = "def f(x):\n    return x + 1  # ü 😀 <|endoftext|>";

    string ValidTokenizerJson()
    {
        var docs = Enumerable.Range(0, 40).Select(i => $"def f{i}(x, y):\n    return (x + {i}) * y  # note {i}\n").ToList();
        var src = Path.Combine(dir, "src");
        new BpeTrainer(new BpeTrainerOptions { VocabSize = 300, MinFrequency = 2 }).Train(docs).Save(src);
        return File.ReadAllText(Path.Combine(src, "tokenizer.json"));
    }

    void LoadAndUse(byte[] tokenizerJson)
    {
        var folder = Path.Combine(dir, "t");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "tokenizer.json"), tokenizerJson);
        var tok = Tokenizer.Load(folder);
        var e = tok.Encode(Sample);
        Assert.Equal(e.Ids.Count, e.Offsets.Count);
        tok.Decode(e.Ids);
    }

    [Fact]
    public void Mutated_tokenizer_json_values_raise_only_documented_exceptions()
    {
        var json = ValidTokenizerJson();
        LoadAndUse(System.Text.Encoding.UTF8.GetBytes(json));   // the seed itself is valid
        Mutations.Sample(Mutations.JsonEdits, edits =>
        {
            var mutated = Mutations.Apply(json, edits);
            Mutations.OnlyDocumented(() => LoadAndUse(System.Text.Encoding.UTF8.GetBytes(mutated)), Documented, string.Join(", ", edits));
        }, iter: 300, seed: 24);
    }

    [FixtureFact]
    public void Mutated_sentencepiece_models_raise_only_documented_exceptions()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures.Tokenizer("llama-spm"), "tokenizer.model"));
        var folder = Path.Combine(dir, "spm");
        Directory.CreateDirectory(folder);
        Mutations.Sample(Mutations.ByteEdits, edits => Mutations.OnlyDocumented(() =>
        {
            File.WriteAllBytes(Path.Combine(folder, "tokenizer.model"), Mutations.Apply(bytes, edits));
            var tok = Tokenizer.Load(folder);
            tok.Decode(tok.Encode(Sample).Ids);
        }, Documented, string.Join(", ", edits)), iter: 150, seed: 25);
    }

    [Fact]
    public void Mutated_tokenizer_json_bytes_raise_only_documented_exceptions()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(ValidTokenizerJson());
        Mutations.Sample(Mutations.ByteEdits, edits =>
            Mutations.OnlyDocumented(() => LoadAndUse(Mutations.Apply(bytes, edits)), Documented, string.Join(", ", edits)),
            iter: 300, seed: 26);
    }
}
