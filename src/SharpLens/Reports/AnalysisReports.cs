// Writes the generic verbs' results (logit lens, attribution, patching) as one JSON file and one self-contained HTML page each.
using System.Text.Json;
using System.Text.Json.Serialization;
using SharpLens.Analysis;
using SharpLens.Tokenization;

namespace SharpLens.Reports;

/// <summary>
/// What a generic verb ran on: the model, the prompt as tokens (display text per position), the answer and foil tokens
/// when given, and notes on how they were tokenized.
/// </summary>
public sealed record PromptInput(string Model, string Architecture, string Prompt, IReadOnlyList<string> Tokens,
    int? AnswerId = null, string? Answer = null, int? FoilId = null, string? Foil = null)
{
    /// <summary>Things the reader should know (e.g. an answer split into several tokens).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// A prompt's ids and each token's display text (its span of the prompt; special tokens by name), with a trailing
    /// post-processor EOS dropped because the verbs read next-token predictions. Empty arrays when it encodes to nothing.
    /// </summary>
    public static (long[] Ids, string[] Texts) Encode(Tokenizer tok, string text)
    {
        var enc = tok.Encode(text);
        int n = Math.Max(0, enc.Count - (tok.AddEosToken && enc.Count > 0 ? 1 : 0));
        var texts = Enumerable.Range(0, n).Select(i => enc.SpecialTokensMask[i] || enc.Offsets[i].End <= enc.Offsets[i].Start
            ? enc.Tokens[i] : text[enc.Offsets[i].Start..enc.Offsets[i].End]).ToArray();
        return (enc.Ids.Take(n).Select(i => (long)i).ToArray(), texts);
    }
}

/// <summary>A logit-lens run; <see cref="TokenText"/> names every id in the readings.</summary>
public sealed record LensReport(PromptInput Input, IReadOnlyList<LensReading> Readings, IReadOnlyDictionary<string, string> TokenText)
{
    /// <summary>A report whose <see cref="TokenText"/> names every top id and the answer and foil with <paramref name="tok"/>.</summary>
    public static LensReport Of(PromptInput input, IReadOnlyList<LensReading> readings, Tokenizer tok) =>
        new(input, readings, readings.SelectMany(x => x.TopIds).Concat(input.AnswerId is int a ? [a] : []).Concat(input.FoilId is int f ? [f] : []).Distinct()
            .ToDictionary(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture), id => tok.Decode([id])));
}

/// <summary>A direct-logit-attribution run at one position.</summary>
public sealed record AttributionReport(PromptInput Input, int Position, Attribution Attribution);

/// <summary>
/// An activation-patching run: the clean prompt in <see cref="Input"/>, the corrupted one here, one result per site, and
/// path-patching sweeps into receiver heads (empty when none was asked for).
/// </summary>
public sealed record PatchReport(PromptInput Input, string CorruptedPrompt, IReadOnlyList<string> CorruptedTokens, IReadOnlyList<PatchResult> Results)
{
    public IReadOnlyList<PathPatchResult> Paths { get; init; } = [];
}

/// <summary>Writes <c>lens|attribution|patch.json</c> and <c>.html</c> into a folder (created if needed).</summary>
public static class AnalysisReports
{
    static readonly JsonSerializerOptions Json = new(ReportJson.Options) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } };

    /// <summary>The JSON form of a report (snake_case, NaN as "NaN").</summary>
    public static string ToJson<T>(T report) => JsonSerializer.Serialize(report, Json);

    /// <summary>Writes lens.json and lens.html; returns their paths.</summary>
    public static IReadOnlyList<string> Write(LensReport r, string dir) => Write(dir, "lens", ToJson(r), AnalysisHtml.Lens(r));

    /// <summary>Writes attribution.json and attribution.html; returns their paths.</summary>
    public static IReadOnlyList<string> Write(AttributionReport r, string dir) => Write(dir, "attribution", ToJson(r), AnalysisHtml.Attribution(r));

    /// <summary>Writes patch.json and patch.html; returns their paths.</summary>
    public static IReadOnlyList<string> Write(PatchReport r, string dir) => Write(dir, "patch", ToJson(r), AnalysisHtml.Patch(r));

    static IReadOnlyList<string> Write(string dir, string name, string json, string html)
    {
        Directory.CreateDirectory(dir);
        var paths = new[] { Path.Combine(dir, name + ".json"), Path.Combine(dir, name + ".html") };
        File.WriteAllText(paths[0], json);
        File.WriteAllText(paths[1], html);
        return paths;
    }
}
