// `sharplens tokenize` end to end, in-process: --jsonl output line per input, flags, and bad input -> one error line, exit 2.
using System.Text.Json;
using SharpLens.Cli.Commands;
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Tokenization;

public sealed class TokenizeCommandTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sharplens-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [FixtureTheory]
    [InlineData("codellama")]
    [InlineData("starcoder")]
    public void Jsonl_writes_one_line_per_input_matching_the_fixture(string folder)
    {
        var cases = FixtureCases.Read(folder, "cases.jsonl");
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, cases.Select(c => JsonSerializer.Serialize(new { text = c.Text, add_special_tokens = c.AddBos })));
        var stdout = new StringWriter();
        Assert.Equal(0, TokenizeCommand.Run(Fixtures.Tokenizer(folder), null, input, false, TextReader.Null, stdout));
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(cases.Count, lines.Length);
        for (int i = 0; i < cases.Count; i++)
        {
            var o = JsonDocument.Parse(lines[i]).RootElement;
            Assert.Equal(cases[i].Text, o.GetProperty("text").GetString());
            Assert.Equal(cases[i].Ids, o.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()));
            Assert.Equal(cases[i].Ids.Length, o.GetProperty("offsets").GetArrayLength());
        }
    }

    [FixtureFact]
    public void Add_special_tokens_defaults_to_transformers_encode()
    {
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"text\": \"))))\"}\n\n{\"text\": \"))))\", \"add_special_tokens\": false}\n");
        var stdout = new StringWriter();
        Assert.Equal(0, TokenizeCommand.Run(Fixtures.Tokenizer("codellama"), null, input, false, TextReader.Null, stdout));
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("{\"text\":\"))))\",\"ids\":[1,29871,13697],\"offsets\":[[0,0],[0,0],[0,4]]}", lines[0]);
        Assert.Equal("{\"text\":\"))))\",\"ids\":[29871,13697],\"offsets\":[[0,0],[0,4]]}", lines[1]);
    }

    [FixtureTheory]
    [InlineData("{\"text\": \"ok\"}\n{\"text\": ", ":2: malformed JSON")]
    [InlineData("{\"txt\": \"ok\"}\n", ":1: expected a string \"text\" field")]
    [InlineData("[1, 2]\n", ":1: expected a JSON object")]
    [InlineData("{\"text\": \"a\", \"add_special_tokens\": \"yes\"}\n", ":1: expected \"add_special_tokens\" to be true or false")]
    public void Bad_jsonl_names_file_and_line_and_exits_2(string content, string expected)
    {
        var input = Path.Combine(dir, "bad.jsonl");
        File.WriteAllText(input, content);
        var stdout = new StringWriter();
        var e = Assert.Throws<InvalidDataException>(() => TokenizeCommand.Run(Fixtures.Tokenizer("gpt2"), null, input, false, TextReader.Null, stdout));
        Assert.Contains(input + expected, e.Message);
        Assert.Equal("", stdout.ToString());
        var (code, stderr) = Support.Cli.Run("tokenize", Fixtures.Tokenizer("gpt2"), "--jsonl", input);
        Assert.Equal(2, code);
        Assert.StartsWith("error: " + input + expected, stderr);
    }

    [FixtureFact]
    public void Lone_surrogate_escapes_in_jsonl_become_U_FFFD()
    {
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"text\": \"a\\ud800b\", \"add_special_tokens\": false}\n");
        var stdout = new StringWriter();
        Assert.Equal(0, TokenizeCommand.Run(Fixtures.Tokenizer("gpt2"), null, input, false, TextReader.Null, stdout));
        var o = JsonDocument.Parse(stdout.ToString()).RootElement;
        Assert.Equal("a\uFFFDb", o.GetProperty("text").GetString());
    }

    [Fact]
    public void Text_the_model_cannot_encode_is_reported_with_its_line()
    {
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}");
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllText(input, "{\"text\": \"a\"}\n{\"text\": \"ab\"}\n");
        var stdout = new StringWriter();
        var e = Assert.Throws<InvalidDataException>(() => TokenizeCommand.Run(dir, null, input, false, TextReader.Null, stdout));
        Assert.Contains(input + ":2: cannot encode", e.Message);
        Assert.Contains("'b' is not in the vocab", e.Message);
        Assert.Equal("", stdout.ToString());   // line 1 was fine, but nothing is printed when a later line fails
    }

    [Fact]
    public void Missing_tokenizer_folder_and_missing_input_exit_2()
    {
        var (code, stderr) = Support.Cli.Run("tokenize", Path.Combine(dir, "nope"), "--text", "x");
        Assert.Equal(2, code);
        Assert.Contains("nope", stderr);
        (code, stderr) = Support.Cli.Run("tokenize", dir);
        Assert.Equal(2, code);
        Assert.StartsWith("error: give exactly one of --text TEXT or --jsonl FILE", stderr);
    }

    [FixtureFact]
    public void Invalid_utf8_in_jsonl_is_refused_with_its_byte_offset_unless_lossy()
    {
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllBytes(input, [.. "{\"text\": \"ab"u8, 0xFF, .. "\"}\n"u8]);
        var (code, stderr) = Support.Cli.Run("tokenize", Fixtures.Tokenizer("gpt2"), "--jsonl", input);
        Assert.Equal(2, code);
        Assert.Equal($"error: {input}: invalid UTF-8 at byte offset 12; expected UTF-8 text", stderr.Trim());
        var stdout = new StringWriter();
        Assert.Equal(0, TokenizeCommand.Run(Fixtures.Tokenizer("gpt2"), null, input, false, TextReader.Null, stdout, lossy: true));
        Assert.Equal("ab\uFFFD", JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("text").GetString());
    }

    [FixtureFact]
    public void Text_table_and_json_modes_print_tokens_ids_and_spans()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, TokenizeCommand.Run(Fixtures.Tokenizer("codellama"), "print(x))", null, false, TextReader.Null, stdout));
        Assert.Contains("▁print", stdout.ToString());
        Assert.Contains("[0, 5)", stdout.ToString());
        var json = new StringWriter();
        Assert.Equal(0, TokenizeCommand.Run(Fixtures.Tokenizer("codellama"), "print(x))", null, true, TextReader.Null, json));
        var o = JsonDocument.Parse(json.ToString()).RootElement;
        Assert.Equal(1, o.GetProperty("ids")[0].GetInt32());
    }
}
