// One closing-parenthesis example (template, already-closed or mined) and its JSONL form.
using System.Text.Json;

namespace SharpLens.Code.Datasets;

/// <summary>
/// A closing-parenthesis prompt. <see cref="LabelText"/> is the exact closing run the model should produce next and
/// <see cref="Depth"/> its length (= parens still missing at the end of the prompt for the templates);
/// <see cref="CounterfactualText"/> has one more ")". JSON field names are given in brackets.
/// </summary>
public sealed record ParensExample
{
    /// <summary>[id] Unique, stable id such as "template-d3-train-0007".</summary>
    public required string Id { get; init; }
    /// <summary>[variant] "template", "closed" or "mined".</summary>
    public required string Variant { get; init; }
    /// <summary>[prompt] Text before the closing run.</summary>
    public required string Prompt { get; init; }
    /// <summary>[label_text] The closing run, e.g. ")))".</summary>
    public required string LabelText { get; init; }
    /// <summary>[counterfactual_text] The label with one more ")".</summary>
    public required string CounterfactualText { get; init; }
    /// <summary>[counterfactual_prompt] The prompt with one extra "str(" (template variants; null when mined).</summary>
    public string? CounterfactualPrompt { get; init; }
    /// <summary>[depth] Number of ")" in the label.</summary>
    public required int Depth { get; init; }
    /// <summary>[n] The number in the template (100–999); null when mined.</summary>
    public int? N { get; init; }
    /// <summary>[k] Number of "str(" wrappers in the template; null when mined.</summary>
    public int? K { get; init; }
    /// <summary>[closed] Closing parens already present in the prompt (0 for the plain template; null when mined).</summary>
    public int? Closed { get; init; }
    /// <summary>[total] Closing parens the complete template expression needs (k + 1); null when mined.</summary>
    public int? Total { get; init; }
    /// <summary>[open_parens] "(" still open at the end of the prompt (by construction for templates, from the syntax tree when mined).</summary>
    public required int OpenParens { get; init; }
    /// <summary>[split] "train", "dev" or "test".</summary>
    public required string Split { get; init; }
    /// <summary>[language] Language of the text.</summary>
    public required string Language { get; init; }
    /// <summary>[source] "template" or the mined file's path relative to the source directory.</summary>
    public required string Source { get; init; }
    /// <summary>[offset] Character offset of the closing run in the mined file; null for templates.</summary>
    public int? Offset { get; init; }
    /// <summary>[line] 1-based line of the closing run in the mined file; null for templates.</summary>
    public int? Line { get; init; }
    /// <summary>[seed] Seed the dataset was generated with.</summary>
    public required long Seed { get; init; }
    /// <summary>[generator] Generator name and version, e.g. "sharplens.data.parens/1".</summary>
    public required string Generator { get; init; }

    /// <summary>Writes the fields in the order listed above.</summary>
    public static void WriteJson(Utf8JsonWriter w, ParensExample e)
    {
        w.WriteString("id", e.Id);
        w.WriteString("variant", e.Variant);
        w.WriteString("prompt", e.Prompt);
        w.WriteString("label_text", e.LabelText);
        w.WriteString("counterfactual_text", e.CounterfactualText);
        w.Str("counterfactual_prompt", e.CounterfactualPrompt);
        w.WriteNumber("depth", e.Depth);
        Num(w, "n", e.N);
        Num(w, "k", e.K);
        Num(w, "closed", e.Closed);
        Num(w, "total", e.Total);
        w.WriteNumber("open_parens", e.OpenParens);
        w.WriteString("split", e.Split);
        w.WriteString("language", e.Language);
        w.WriteString("source", e.Source);
        Num(w, "offset", e.Offset);
        Num(w, "line", e.Line);
        w.WriteNumber("seed", e.Seed);
        w.WriteString("generator", e.Generator);
    }

    static void Num(Utf8JsonWriter w, string name, int? v) { if (v.HasValue) w.WriteNumber(name, v.Value); else w.WriteNull(name); }
}

/// <summary>Counts per split for one depth, e.g. 350/150/150.</summary>
public sealed record SplitSizes(int Train, int Dev, int Test)
{
    /// <summary>Total examples.</summary>
    public int Total => Train + Dev + Test;

    /// <summary>Most examples per depth (all splits together): 1,000,000.</summary>
    public const int MaxTotal = 1_000_000;

    /// <summary>Parses "350/150/150" (each count ≥ 0, together at most <see cref="MaxTotal"/>).</summary>
    public static SplitSizes Parse(string text)
    {
        var parts = (text ?? "").Split('/');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, out var v) && v is >= 0 and <= MaxTotal))
            throw new FormatException($"expected train/dev/test counts such as 350/150/150, found '{text}'");
        var sizes = new SplitSizes(int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]));
        return sizes.Total <= MaxTotal ? sizes : throw new FormatException($"expected at most {MaxTotal:N0} examples per depth, found {sizes.Total:N0} in '{text}'");
    }

    /// <summary>The split of the i-th example drawn (train first, then dev, then test).</summary>
    public string SplitOf(int i) => i < Train ? "train" : i < Train + Dev ? "dev" : "test";

    /// <inheritdoc/>
    public override string ToString() => $"{Train}/{Dev}/{Test}";
}
