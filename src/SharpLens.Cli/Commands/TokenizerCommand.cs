// `sharplens tokenizer train --corpus DIR [--glob "*.py"] --vocab N --out DIR [--min-frequency N] [--lossy]`: trains a byte-level BPE.
using System.CommandLine;
using System.Diagnostics;
using SharpLens.Code;
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
        var lossy = new Option<bool>("--lossy") { Description = "Replace invalid UTF-8 in corpus files with U+FFFD instead of refusing the file" };
        var train = new Command("train", "Train a byte-level BPE (digits split; ')' runs up to 4 single tokens, as CodeLlama's) and save it in HF format");
        foreach (var o in new Option[] { corpus, glob, vocab, output, minFrequency, parenRun, lossy }) train.Options.Add(o);
        train.SetAction(parse => Train(parse.GetValue(corpus)!, parse.GetValue(glob)!, parse.GetValue(vocab), parse.GetValue(output)!,
            parse.GetValue(minFrequency), parse.GetValue(lossy), Console.Out, parse.GetValue(parenRun)));
        var command = new Command("tokenizer", "Tokenizer tools");
        command.Subcommands.Add(train);
        return command;
    }

    /// <summary>Trains and saves; bad input throws (the CLI's error path prints it), so nothing is written.</summary>
    internal static int Train(string corpus, string glob, int vocab, string output, int minFrequency, bool lossy, TextWriter stdout, int maxParenRun = 4)
    {
        CliCommon.AtLeast(maxParenRun, 0, "--max-paren-run");
        var options = (maxParenRun == 0 ? BpeTrainerOptions.Plain(vocab) : new BpeTrainerOptions { VocabSize = vocab, MaxParenRun = maxParenRun })
            with { MinFrequency = minFrequency };
        CliCommon.InRange(vocab, BpeTrainer.MinimumVocabSize(options), BpeTrainer.MaxVocabSize, "--vocab");
        CliCommon.AtLeast(minFrequency, 1, "--min-frequency");
        CliCommon.OutputFolder(output, "--out");
        if (!Directory.Exists(corpus)) throw new DirectoryNotFoundException($"--corpus: expected a folder, found none at {corpus}");
        var files = Directory.EnumerateFiles(corpus, glob, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new UsageException($"--corpus: expected files matching '{glob}' under {corpus}, found none");
        // Decode every file before training: a binary or mis-encoded file is refused by name and byte offset, not learned from.
        var texts = files.Select(f => Utf8Text.ReadAllText(f, lossy)).ToList();
        long chars = texts.Sum(t => (long)t.Length);
        if (chars == 0) throw new UsageException($"--corpus: the {files.Count} files matching '{glob}' under {corpus} are all empty");
        var trainer = new BpeTrainer(options);
        var sw = Stopwatch.StartNew();
        var trained = trainer.Train(texts);
        CliCommon.WriteFolder(output, tmp => { trained.Save(tmp); return tmp; });
        stdout.WriteLine($"trained {trained.Tokens.Count} tokens ({trained.Merges.Count} merges) on {files.Count} files, {chars / 1e6:F1} M chars, in {sw.Elapsed.TotalSeconds:F1} s -> {Path.Combine(output, "tokenizer.json")}");
        return 0;
    }
}
