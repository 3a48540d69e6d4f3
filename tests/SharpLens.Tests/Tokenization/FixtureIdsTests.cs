// Every fixture line: exact ids (BOS as the line's add_bos says), exact decode, and offsets that cover the text.
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Tokenization;

public sealed class FixtureIdsTests
{
    public static TheoryData<string, string> Files() => new()
    {
        { "codellama", "cases.jsonl" }, { "codellama", "llamacpp_cases.jsonl" },
        { "llama-spm", "cases.jsonl" }, { "llama-spm", "llamacpp_cases.jsonl" },
        { "gpt2", "cases.jsonl" }, { "gpt2", "llamacpp_cases.jsonl" },
        { "starcoder", "cases.jsonl" }, { "starcoder", "llamacpp_cases.jsonl" },
        { "gpt-neox", "cases.jsonl" },
    };

    [FixtureTheory]
    [MemberData(nameof(Files))]
    public void Ids_match_exactly(string folder, string file)
    {
        var tok = FixtureCases.Tokenizer(folder);
        var failures = new List<string>();
        var cases = FixtureCases.Read(folder, file);
        foreach (var c in cases)
        {
            var ids = tok.Encode(c.Text, addSpecialTokens: c.AddBos).Ids;
            if (!ids.SequenceEqual(c.Ids))
                failures.Add($"line {c.Line} {FixtureCases.Show(c.Text)}: expected [{string.Join(",", c.Ids)}], found [{string.Join(",", ids)}]");
        }
        Assert.True(failures.Count == 0, $"{folder}/{file}: {failures.Count}/{cases.Count} lines differ:\n" + string.Join("\n", failures.Take(15)));
    }

    [FixtureTheory]
    [MemberData(nameof(Files))]
    public void Decode_matches_exactly(string folder, string file)
    {
        var tok = FixtureCases.Tokenizer(folder);
        var failures = new List<string>();
        var cases = FixtureCases.Read(folder, file);
        foreach (var c in cases)
        {
            if (c.Decoded != null && tok.Decode(c.Ids) is var d && d != c.Decoded)
                failures.Add($"line {c.Line}: expected {FixtureCases.Show(c.Decoded)}, found {FixtureCases.Show(d)}");
            if (c.DecodedSkipSpecial != null && tok.Decode(c.Ids, skipSpecialTokens: true) is var ds && ds != c.DecodedSkipSpecial)
                failures.Add($"line {c.Line} (skip special): expected {FixtureCases.Show(c.DecodedSkipSpecial)}, found {FixtureCases.Show(ds)}");
        }
        Assert.True(failures.Count == 0, $"{folder}/{file}: {failures.Count} decodes differ:\n" + string.Join("\n", failures.Take(15)));
    }

    [FixtureTheory]
    [MemberData(nameof(Files))]
    public void Offsets_cover_the_text(string folder, string file)
    {
        var tok = FixtureCases.Tokenizer(folder);
        var failures = new List<string>();
        foreach (var c in FixtureCases.Read(folder, file))
        {
            var problem = OffsetChecks.Check(c.Text, tok.Encode(c.Text, addSpecialTokens: false));
            if (problem != null) failures.Add($"line {c.Line} {FixtureCases.Show(c.Text)}: {problem}");
        }
        Assert.True(failures.Count == 0, $"{folder}/{file}: {failures.Count} offset problems:\n" + string.Join("\n", failures.Take(15)));
    }
}
