// `sharplens tokenize <dir> (--text TEXT | --jsonl FILE) [--json]`: tokens, ids and character spans; never starts libtorch.
using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using SharpLens.Code;
using SharpLens.Tokenization;
using Spectre.Console;

namespace SharpLens.Cli.Commands;

internal static class TokenizeCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("model-or-tokenizer-dir") { Description = "Folder with tokenizer.json, tokenizer.model or vocab.json + merges.txt" };
        var text = new Option<string?>("--text") { Description = "Text to tokenize" };
        var jsonl = new Option<string?>("--jsonl") { Description = "JSONL file ('-' for stdin) of {\"text\": …, \"add_special_tokens\": true|false}; writes one {\"text\",\"ids\",\"offsets\"} line per input" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table (with --text)" };
        var lossy = new Option<bool>("--lossy") { Description = "Replace invalid UTF-8 in --jsonl FILE with U+FFFD instead of refusing it" };
        var command = new Command("tokenize", "Tokenize text exactly as the model's tokenizer does, with character offsets");
        command.Arguments.Add(dir);
        command.Options.Add(text);
        command.Options.Add(jsonl);
        command.Options.Add(json);
        command.Options.Add(lossy);
        command.SetAction(parse =>
        {
            // One buffered UTF-8 writer: Console.Out flushes every line, which dominates --jsonl on large inputs.
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
            return Run(parse.GetValue(dir)!, parse.GetValue(text), parse.GetValue(jsonl), parse.GetValue(json), Console.In, stdout, parse.GetValue(lossy));
        });
        return command;
    }

    internal static readonly JsonSerializerOptions OutputJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Runs the command and returns 0; bad input throws before anything is written (the CLI's error path prints it).</summary>
    internal static int Run(string dir, string? text, string? jsonl, bool json, TextReader stdin, TextWriter stdout, bool lossy = false)
    {
        if ((text == null) == (jsonl == null)) throw new UsageException("give exactly one of --text TEXT or --jsonl FILE");
        Tokenizer tokenizer;
        try { tokenizer = Tokenizer.Load(dir); }
        catch (Exception ex) when (CliApp.IsExpected(ex)) { throw new InvalidDataException($"cannot load a tokenizer from {dir}: {ex.Message}"); }
        if (jsonl != null) return RunJsonl(tokenizer, jsonl, stdin, stdout, lossy);
        Encoding encoding;
        try { encoding = tokenizer.Encode(text!); }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException) { throw new InvalidDataException($"cannot encode --text: {ex.Message}"); }
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                text,
                ids = encoding.Ids,
                tokens = encoding.Tokens,
                offsets = encoding.Offsets.Select(o => new[] { o.Start, o.End }),
            }, OutputJson));
            return 0;
        }
        var table = new Table().AddColumns("index", "token", "id", "span", "text");
        for (int i = 0; i < encoding.Count; i++)
        {
            var (s, e) = encoding.Offsets[i];
            table.AddRow(new Text(i.ToString()), new Text(Visible(encoding.Tokens[i])), new Text(encoding.Ids[i].ToString()),
                new Text($"[{s}, {e})"), new Text(Visible(text!.Substring(s, e - s))));
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
        console.Write(table);
        console.WriteLine($"{encoding.Count} tokens from {tokenizer.Source}");
        return 0;
    }

    static int RunJsonl(Tokenizer tokenizer, string path, TextReader stdin, TextWriter stdout, bool lossy)
    {
        var name = path == "-" ? "<stdin>" : path;
        IReadOnlyList<string> lines = path == "-" ? ReadAll(stdin) : Utf8Text.ReadLines(path, lossy);
        // Parse and encode every line first, so a bad line leaves no partial output.
        var outputs = new List<string>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            if (!TryParseInput(lines[i], out var input, out var error)) throw new InvalidDataException($"{name}:{i + 1}: {error}");
            Encoding e;
            try { e = tokenizer.Encode(input.Text, input.Add); }
            catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException) { throw new InvalidDataException($"{name}:{i + 1}: cannot encode: {ex.Message}"); }
            var offsets = new int[e.Count][];
            for (int k = 0; k < e.Count; k++) offsets[k] = [e.Offsets[k].Start, e.Offsets[k].End];
            outputs.Add(JsonSerializer.Serialize(new { text = input.Text, ids = e.Ids, offsets }, OutputJson));
        }
        if (outputs.Count == 0) throw new InvalidDataException($"{name}: expected at least one {{\"text\": …}} line, found none");
        foreach (var o in outputs) stdout.WriteLine(o);
        stdout.Flush();
        return 0;
    }

    static List<string> ReadAll(TextReader reader)
    {
        var lines = new List<string>();
        for (var line = reader.ReadLine(); line != null; line = reader.ReadLine()) lines.Add(line);
        return lines;
    }

    static bool TryParseInput(string line, out (string Text, bool Add) input, out string error)
    {
        input = default; error = "";
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException ex) { error = $"malformed JSON ({ex.Message})"; return false; }
        using (doc)
        {
            try { return TryReadInput(doc.RootElement, out input, out error); }
            catch (InvalidOperationException)
            {
                // System.Text.Json refuses "\ud800"-style lone surrogates; treat them as U+FFFD (the library's rule).
                using var fixedDoc = JsonDocument.Parse(LoneSurrogateEscape.Replace(line, "\\ufffd"));
                return TryReadInput(fixedDoc.RootElement, out input, out error);
            }
        }
    }

    static readonly System.Text.RegularExpressions.Regex LoneSurrogateEscape = new(
        @"(?<!\\)(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})");

    static bool TryReadInput(JsonElement root, out (string Text, bool Add) input, out string error)
    {
        input = default; error = "";
        {
            if (root.ValueKind != JsonValueKind.Object) { error = $"expected a JSON object, found {root.ValueKind}"; return false; }
            if (!root.TryGetProperty("text", out var t) || t.ValueKind != JsonValueKind.String)
            {
                error = "expected a string \"text\" field";
                return false;
            }
            bool add = true;   // transformers' encode default
            if (root.TryGetProperty("add_special_tokens", out var a))
            {
                if (a.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null)) { error = $"expected \"add_special_tokens\" to be true or false, found {a.GetRawText()}"; return false; }
                add = a.ValueKind != JsonValueKind.False;
            }
            input = (t.GetString()!, add);
            return true;
        }
    }

    static string Visible(string s) => s.Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
}
