// Shared inputs of the generic analysis verbs (lens, attribute, patch): model + tokenizer, the prompt's tokens, answer/foil tokens.
using System.CommandLine;
using System.Globalization;
using SharpLens.Reports;
using SharpLens.Tokenization;

namespace SharpLens.Cli.Commands;

/// <summary>The options every generic verb takes.</summary>
internal sealed class AnalysisOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Hugging Face checkpoint folder (with its tokenizer)", Required = true };
    public Option<string> Prompt { get; } = new("--prompt") { Description = "prompt text (encoded with the folder's tokenizer, special tokens as transformers adds them)", Required = true };
    public Option<string> Out { get; } = new("--out") { Description = "output folder (an HTML page and its JSON)", Required = true };
    public Option<string?> Tokenizer { get; } = new("--tokenizer") { Description = "tokenizer folder when it is not the model folder" };
    public Option<string> DType { get; } = CliCommon.DTypeOption();
    public Option<string?> Answer { get; } = new("--answer") { Description = "continuation whose first token is scored (its first token after the prompt's tokens)" };
    public Option<string?> Foil { get; } = new("--foil") { Description = "continuation compared with --answer: the score becomes the logit difference answer − foil" };

    public IEnumerable<Option> All => [Model, Prompt, Out, Tokenizer, DType, Answer, Foil];
}

/// <summary>A loaded model, its tokenizer and the encoded prompt.</summary>
internal sealed class AnalysisSession(HookedModel model, Tokenizer tokenizer, long[] ids, PromptInput input) : IDisposable
{
    public HookedModel Model { get; } = model;
    public Tokenizer Tokenizer { get; } = tokenizer;
    public long[] Ids { get; } = ids;
    public PromptInput Input { get; private set; } = input;

    public static AnalysisSession Open(ParseResult r, AnalysisOptions o)
    {
        var modelDir = r.GetValue(o.Model)!;
        var tokDir = r.GetValue(o.Tokenizer) ?? modelDir;
        var output = r.GetValue(o.Out)!;
        if (File.Exists(output)) throw new UsageException($"--out must be a folder, found a file at {output}");
        var tok = ParensCommand.LoadTokenizer(tokDir);
        var prompt = r.GetValue(o.Prompt)!;
        var (ids, texts) = Encode(tok, prompt);
        var model = CliCommon.LoadModel(modelDir, r.GetValue(o.DType)!);
        if (tok.VocabSize > model.Info.DVocab)
        {
            model.Dispose();
            throw new UsageException($"tokenizer in {tokDir} has {tok.VocabSize} ids but the model's vocabulary has {model.Info.DVocab}");
        }
        return new AnalysisSession(model, tok, ids, new PromptInput(modelDir, model.Info.Architecture, prompt, texts));
    }

    /// <summary>The prompt's ids (a trailing post-processor EOS dropped: the verbs read next-token predictions) and each token's text.</summary>
    public static (long[] Ids, string[] Texts) Encode(Tokenizer tok, string text)
    {
        var (ids, texts) = PromptInput.Encode(tok, text);
        if (ids.Length == 0) throw new UsageException($"the prompt '{text}' encodes to no tokens");
        return (ids, texts);
    }

    /// <summary>
    /// The token a continuation starts with after the prompt: the first token of prompt + <paramref name="run"/> past the
    /// prompt's own tokens (so " Paris" keeps its leading space). Notes when the run is several tokens.
    /// </summary>
    public (int Id, string Text) Continuation(string run, string option)
    {
        var (full, _) = Encode(Tokenizer, Input.Prompt + run);
        if (full.Length <= Ids.Length || !full.Take(Ids.Length).SequenceEqual(Ids))
            throw new UsageException($"{option} '{run}': expected the prompt's tokens followed by the {option} token, found that the tokenizer merges the prompt's end with '{run}'; give a prompt that ends where a token ends");
        int id = (int)full[Ids.Length];
        var text = Tokenizer.Decode([id]);
        if (full.Length > Ids.Length + 1)
            Input = Input with { Notes = [.. Input.Notes, $"{option} '{run}' is {full.Length - Ids.Length} tokens; its first token '{text}' (id {id}) is used"] };
        return (id, text);
    }

    /// <summary>Resolves --answer/--foil (null when no --answer is given and it is optional) and records them in the report input.</summary>
    public (int Answer, int? Foil)? AnswerAndFoil(ParseResult r, AnalysisOptions o, bool required)
    {
        var answer = r.GetValue(o.Answer);
        var foil = r.GetValue(o.Foil);
        if (answer is null)
        {
            if (required) throw new UsageException("expected --answer TEXT (the continuation to score), found none");
            if (foil is not null) throw new UsageException("--foil needs --answer");
            return null;
        }
        var a = Continuation(answer, "--answer");
        (int Id, string Text)? f = foil is null ? null : Continuation(foil, "--foil");
        if (f is { } ff && ff.Id == a.Id) throw new UsageException($"--answer and --foil must start with different tokens, found both start with '{a.Text}' (id {a.Id})");
        Input = Input with { AnswerId = a.Id, Answer = a.Text, FoilId = f?.Id, Foil = f?.Text };
        return (a.Id, f?.Id);
    }

    /// <summary>Display text of an id.</summary>
    public string Text(int id) => Tokenizer.Decode([id]);

    public static IReadOnlyList<int> ParseInts(string text, string option) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v
                : throw new UsageException($"{option}: expected integers separated by ',', found '{s}'")).ToList();

    public void Dispose() => Model.Dispose();
}
