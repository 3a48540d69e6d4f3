// Tokenizes closing-paren examples: prompt ids, token roles, and the label/counterfactual token at the prompt boundary.
using SharpLens.Code.Datasets;
using SharpLens.Tokenization;

namespace SharpLens.Analysis.Parens;

/// <summary>What a prompt token is, for grouping attention: <c>(</c>, <c>)</c>, <c>str</c>, digits, <c>print</c>, other.</summary>
public enum TokenRole { OpenParen, CloseParen, Str, Digits, Print, Other }

/// <summary>
/// One example ready for the model. <see cref="LabelId"/> is the first token after the prompt's tokens in the encoding
/// of prompt + label (see <see cref="ParensPrompts.Prepare"/>); <see cref="CounterfactualId"/> the same for prompt +
/// counterfactual run (one more ")").
/// </summary>
public sealed record PreparedPrompt
{
    public required ParensExample Example { get; init; }
    /// <summary>Prompt token ids (with the tokenizer's BOS when it adds one).</summary>
    public required int[] Ids { get; init; }
    /// <summary>Each token's text (the covered slice of the prompt, or the token string for special tokens).</summary>
    public required string[] Texts { get; init; }
    public required TokenRole[] Roles { get; init; }
    public required int LabelId { get; init; }
    public required string LabelToken { get; init; }
    public required int CounterfactualId { get; init; }
    public required string CounterfactualToken { get; init; }
    /// <summary>Whether the label run is one token for this tokenizer (false: the label is the first token of the split run).</summary>
    public required bool LabelSingleToken { get; init; }
    /// <summary>Whether the prompt's own tokens are a prefix of prompt + label's tokens (false: the prompt ids were cut at the boundary).</summary>
    public required bool PromptIsPrefix { get; init; }
    /// <summary>Which counterfactual was used: "one more )", or "one fewer )" when one more gives the label's own first token.</summary>
    public required string CounterfactualKind { get; init; }
    public int Depth => Example.Depth;
    public int Closed => Example.Closed ?? 0;
}

/// <summary>How the tokenizer treats the label of one (variant, depth) group, with how many prompts fell in it.</summary>
public sealed record LabelCheck(string Variant, int Depth, string LabelText, int LabelId, string LabelToken, bool SingleToken,
    bool PromptIsPrefix, int CounterfactualId, string CounterfactualToken, string CounterfactualKind, int Count, string Note);

/// <summary>Turns examples into <see cref="PreparedPrompt"/>s and reports what the tokenizer did at the boundary.</summary>
public static class ParensPrompts
{
    /// <summary>
    /// Encodes prompt and prompt + label. When the prompt's ids are a prefix of the full ids, the label token is the
    /// next full id. Otherwise the tokenizer merged across the boundary (reported, never hidden): when the prompt ends in
    /// already-closed ")" the prompt keeps its own tokens and the label is the run's first token after the prompt's text
    /// without those parens; otherwise the prompt becomes the full encoding's tokens ending inside it and the label the next token. The label
    /// is "single" when that token covers exactly the label run; if the run is split, the label is the run's first token.
    /// </summary>
    public static IReadOnlyList<PreparedPrompt> Prepare(Tokenizer tokenizer, IEnumerable<ParensExample> examples)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var result = new List<PreparedPrompt>();
        foreach (var e in examples)
        {
            var (ids, label, single, prefix) = Boundary(tokenizer, e.Prompt, e.LabelText, e.Id);
            // The counterfactual is the run with one more ")" when that run is one token; else one fewer ")" when that is one token.
            var (_, cf, cfSingle, _) = Boundary(tokenizer, e.Prompt, e.CounterfactualText, e.Id);
            string kind = cfSingle ? "one more )" : "first token of one more ) (the run is split)";
            if ((!cfSingle || cf.Id == label.Id) && e.Depth > 1)
            {
                var (_, fewer, fewerSingle, _) = Boundary(tokenizer, e.Prompt, new string(')', e.Depth - 1), e.Id);
                if (fewerSingle && fewer.Id != label.Id) (cf, kind) = (fewer, "one fewer ) (one more is not a single token)");
            }
            if (cf.Id == label.Id) kind = "same token (logit difference is 0)";
            var enc = tokenizer.Encode(e.Prompt);
            var texts = new string[ids.Length];
            for (int i = 0; i < ids.Length; i++)
            {
                var (s, t) = i < enc.Count && enc.Ids[i] == ids[i] ? enc.Offsets[i] : (0, 0);
                texts[i] = i < enc.Count && enc.SpecialTokensMask[i] ? enc.Tokens[i] : t > s ? e.Prompt[s..t] : tokenizer.IdToToken(ids[i]) ?? "";
            }
            result.Add(new PreparedPrompt
            {
                Example = e, Ids = ids, Texts = texts, Roles = texts.Select(RoleOf).ToArray(),
                LabelId = label.Id, LabelToken = label.Text, CounterfactualId = cf.Id, CounterfactualToken = cf.Text,
                LabelSingleToken = single, PromptIsPrefix = prefix, CounterfactualKind = kind,
            });
        }
        return result;
    }

    static (int[] PromptIds, (int Id, string Text) Label, bool Single, bool Prefix) Boundary(Tokenizer tok, string prompt, string run, string id)
    {
        var p = tok.Encode(prompt);
        var full = tok.Encode(prompt + run);
        int trailing = tok.AddEosToken ? 1 : 0;                                              // drop a post-processor EOS
        int bodyEnd = full.Count - trailing, pEnd = p.Count - trailing;
        bool prefix = pEnd < bodyEnd && full.Ids.Take(pEnd).SequenceEqual(p.Ids.Take(pEnd));
        if (!prefix && prompt.EndsWith(')') && prompt.TrimEnd(')').Length > 0)
        {
            // Already-closed prompts: the closing parens in the prompt and the label are one run, which BPE merges. Keep
            // the prompt's own tokens (c parens present, as the study means) and take the label as the tokenizer writes
            // the run after the prompt's text without those parens.
            var (_, label, single, _) = Boundary(tok, prompt.TrimEnd(')'), run, id);
            return (p.Ids.Take(pEnd).ToArray(), label, single, false);
        }
        int cut = pEnd;
        if (!prefix)
        {
            cut = 0;
            while (cut < bodyEnd && (full.SpecialTokensMask[cut] || full.Offsets[cut].End <= prompt.Length)) cut++;
            if (cut >= bodyEnd) throw new InvalidDataException($"example {id}: no token of '{prompt}{run}' starts the run '{run}'");
        }
        if (cut == 0) throw new InvalidDataException($"example {id}: the prompt encodes to no tokens");
        var (s, e) = full.Offsets[cut];
        string text = e > s ? (prompt + run)[s..e] : full.Tokens[cut];
        bool isSingle = s <= prompt.Length && e == prompt.Length + run.Length && cut + 1 >= bodyEnd;
        return (full.Ids.Take(cut).ToArray(), (full.Ids[cut], text), isSingle, prefix);
    }

    /// <summary>Role of a token from its text: print, str, digits, ")" or "(" (in that order of precedence), else other.</summary>
    public static TokenRole RoleOf(string text)
    {
        var t = text.Trim().TrimStart('▁', 'Ġ');
        if (t.Contains("print", StringComparison.Ordinal)) return TokenRole.Print;
        if (t.Contains("str", StringComparison.Ordinal)) return TokenRole.Str;
        if (t.Length > 0 && t.All(char.IsAsciiDigit)) return TokenRole.Digits;
        if (t.Contains(')')) return TokenRole.CloseParen;
        if (t.Contains('(')) return TokenRole.OpenParen;
        return TokenRole.Other;
    }

    /// <summary>One <see cref="LabelCheck"/> per distinct (variant, depth, label, counterfactual, single, prefix) outcome.</summary>
    public static IReadOnlyList<LabelCheck> Check(IEnumerable<PreparedPrompt> prompts) =>
        prompts.GroupBy(p => (p.Example.Variant, p.Depth, p.LabelId, p.CounterfactualId, p.LabelSingleToken, p.PromptIsPrefix, p.CounterfactualKind))
            .OrderBy(g => g.Key.Variant).ThenBy(g => g.Key.Depth)
            .Select(g =>
            {
                var f = g.First();
                var notes = new List<string>();
                if (!g.Key.LabelSingleToken) notes.Add($"the run '{f.Example.LabelText}' is split by this tokenizer; the label is its first token '{f.LabelToken}'");
                if (!g.Key.PromptIsPrefix) notes.Add(f.Example.Prompt.EndsWith(')')
                    ? "the prompt's closing parens and the label merge into one token in prompt+label; the prompt keeps its own tokens (the closed parens) and the label is the run's token after the prompt's text without them"
                    : "the prompt's tokens are not a prefix of prompt+label's tokens (a merge across the boundary); the prompt was cut at the last token ending inside it");
                if (g.Key.CounterfactualKind != "one more )") notes.Add($"counterfactual: {g.Key.CounterfactualKind}, token '{f.CounterfactualToken}'");
                return new LabelCheck(g.Key.Variant, g.Key.Depth, f.Example.LabelText, f.LabelId, f.LabelToken, g.Key.LabelSingleToken,
                    g.Key.PromptIsPrefix, f.CounterfactualId, f.CounterfactualToken, g.Key.CounterfactualKind, g.Count(),
                    notes.Count == 0 ? "ok: single token after the prompt" : string.Join("; ", notes));
            }).ToList();
}
