// `sharplens tokenizer train --corpus DIR [--glob "*.py"] --vocab N --out DIR [--min-frequency N]`: trains a byte-level BPE.
using System.CommandLine;
using System.Diagnostics;
using SharpLens.Tokenization;

namespace SharpLens.Cli.Commands;

internal static class TokenizerCommand
{
    public static Command Create()
    {
        var corpus = new Option<string>("--corpus") { Description = "Folder of training text, searched recursively", Required = true };
        var glob = new Option<string>("--glob") { Description = "File pattern", DefaultValueFactory = _ => "*.py" };
        var vocab = new Option<int>("--vocab") { Description = "Vocabulary size (special tokens and the 256 bytes included)", DefaultValueFactory = _ => 4096 };
        var output = new Option<string>("--out") { Description = "Folder to write tokenizer.json, tokenizer_config.json, special_tokens_map.json", Required = true };
        var minFrequency = new Option<int>("--min-frequency") { Description = "Never merge pairs seen fewer times", DefaultValueFactory = _ => 2 };
        var parenRun = new Option<int>("--max-paren-run") { Description = "Cut ')' runs into pieces of at most N and force ), )), ))), )))) to be tokens (0: a plain GPT-2-style BPE)", DefaultValueFactory = _ => 4 };
        var train = new Command("train", "Train a byte-level BPE (digits split; ')' runs up to 4 single tokens, as CodeLlama's) and save it in HF format");
        foreach (var o in new Option[] { corpus, glob, vocab, output, minFrequency, parenRun }) train.Options.Add(o);
        train.SetAction(parse => Train(parse.GetValue(corpus)!, parse.GetValue(glob)!, parse.GetValue(vocab), parse.GetValue(output)!,
            parse.GetValue(minFrequency), Console.Out, Console.Error, parse.GetValue(parenRun)));
        var command = new Command("tokenizer", "Tokenizer tools");
        command.Subcommands.Add(train);
        return command;
    }

    internal static int Train(string corpus, string glob, int vocab, string output, int minFrequency, TextWriter stdout, TextWriter stderr, int maxParenRun = 4)
    {
        if (maxParenRun < 0) { stderr.WriteLine($"tokenizer train: --max-paren-run must be ≥ 0, found {maxParenRun}"); return 2; }
        if (!Directory.Exists(corpus)) { stderr.WriteLine($"tokenizer train: corpus folder not found: {corpus}"); return 2; }
        List<string> files;
        try { files = Directory.EnumerateFiles(corpus, glob, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            stderr.WriteLine($"tokenizer train: cannot list {corpus} with pattern '{glob}': {ex.Message}");
            return 2;
        }
        if (files.Count == 0) { stderr.WriteLine($"tokenizer train: no files match '{glob}' under {corpus}"); return 2; }
        BpeTrainer trainer;
        var options = maxParenRun == 0 ? BpeTrainerOptions.Plain(vocab) : new BpeTrainerOptions { VocabSize = vocab, MaxParenRun = maxParenRun };
        try { trainer = new BpeTrainer(options with { MinFrequency = minFrequency }); }
        catch (ArgumentOutOfRangeException ex) { stderr.WriteLine($"tokenizer train: {ex.Message}"); return 2; }
        var sw = Stopwatch.StartNew();
        long bytes = 0;
        IEnumerable<string> Documents()
        {
            foreach (var f in files)
            {
                string text;
                try { text = File.ReadAllText(f); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { stderr.WriteLine($"tokenizer train: skipping {f}: {ex.Message}"); continue; }
                Interlocked.Add(ref bytes, text.Length);
                yield return text;
            }
        }
        var trained = trainer.Train(Documents());
        try { trained.Save(output); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"tokenizer train: cannot write {output}: {ex.Message}");
            return 2;
        }
        stdout.WriteLine($"trained {trained.Tokens.Count} tokens ({trained.Merges.Count} merges) on {files.Count} files, {bytes / 1e6:F1} M chars, in {sw.Elapsed.TotalSeconds:F1} s -> {Path.Combine(output, "tokenizer.json")}");
        return 0;
    }
}
