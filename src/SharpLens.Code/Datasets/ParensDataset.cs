// The closing-parenthesis template family of Study 1 (plain and "already closed"), seeded and deterministic.
namespace SharpLens.Code.Datasets;

/// <summary>
/// Template prompts after Miller et al. / Dakingrai/parentheses. The complete text is
/// <c>#print the string {n}\nprint(</c> + <c>str(</c>·k + <c>{n})</c> + <c>)</c>·k, which needs k + 1 closing parens.
/// Plain variant: the prompt stops right after the digits, so depth d = k + 1 parens are missing
/// (<c>print(str(str(486</c> → <c>)))</c>, d = 3, k = 2). "Closed" variant: c ≥ 1 of them are already in the prompt
/// and d = k + 1 − c remain (<c>print(str(str(486)</c> → <c>))</c>, k = 2, c = 1). The counterfactual prompt wraps one
/// more <c>str(</c> (k + 1), so its answer is the label plus one ")".
/// </summary>
public static class ParensDataset
{
    /// <summary>Generator name/version recorded in every example; bump when output for a given seed changes.</summary>
    public const string Generator = "sharplens.data.parens/1";

    /// <summary>The complete template text for number <paramref name="n"/> and <paramref name="k"/> str( wrappers.</summary>
    public static string FullText(int n, int k) => Head(n, k) + ")" + new string(')', k);

    /// <summary>Everything up to and including the digits: <c>#print the string {n}\nprint(str(…{n}</c>.</summary>
    public static string Head(int n, int k) => $"#print the string {n}\nprint(" + string.Concat(Enumerable.Repeat("str(", k)) + n;

    /// <summary>
    /// Generates examples for each depth in <paramref name="depths"/>: <paramref name="sizes"/> per depth, numbers drawn
    /// without replacement per depth (so splits never share a prompt), each depth from its own seeded stream.
    /// <paramref name="maxClosed"/> bounds c for the "closed" variant (c uniform in 1..maxClosed).
    /// </summary>
    public static IReadOnlyList<ParensExample> Generate(IReadOnlyList<int> depths, SplitSizes sizes, long seed, bool closedVariant = false, int maxClosed = 3)
    {
        ArgumentNullException.ThrowIfNull(depths);
        ArgumentNullException.ThrowIfNull(sizes);
        if (depths.Count == 0 || depths.Any(d => d < 1)) throw new ArgumentException($"expected depths ≥ 1, found [{string.Join(",", depths)}]", nameof(depths));
        if (closedVariant && maxClosed < 1) throw new ArgumentOutOfRangeException(nameof(maxClosed), $"expected max closed ≥ 1, found {maxClosed}");
        int combos = 900 * (closedVariant ? maxClosed : 1);
        if (sizes.Total > combos)
            throw new ArgumentException($"expected at most {combos} examples per depth (distinct numbers 100–999{(closedVariant ? " × closed counts" : "")}), found {sizes.Total} requested", nameof(sizes));

        var variant = closedVariant ? "closed" : "template";
        var result = new List<ParensExample>();
        foreach (var depth in depths)
        {
            var rng = new SeededRandom(seed, depth, closedVariant ? 2 : 1);
            // Partial Fisher–Yates over the (n, c) grid: the first Total draws are distinct.
            var grid = Enumerable.Range(0, combos).ToArray();
            for (int i = 0; i < sizes.Total; i++)
            {
                int j = rng.Next(i, combos);
                (grid[i], grid[j]) = (grid[j], grid[i]);
                int n = 100 + grid[i] % 900;
                int c = closedVariant ? 1 + grid[i] / 900 : 0;
                int k = depth + c - 1;
                var split = sizes.SplitOf(i);
                result.Add(new ParensExample
                {
                    Id = $"{variant}-d{depth}-{split}-{i:D4}",
                    Variant = variant,
                    Prompt = Head(n, k) + new string(')', c),
                    LabelText = new string(')', depth),
                    CounterfactualText = new string(')', depth + 1),
                    CounterfactualPrompt = Head(n, k + 1) + new string(')', c),
                    Depth = depth, N = n, K = k, Closed = c, Total = k + 1,
                    OpenParens = depth,
                    Split = split, Language = "python", Source = "template", Seed = seed, Generator = Generator,
                });
            }
        }
        return result;
    }

    /// <summary>Parses a depth list such as "1-4" or "1,2,4".</summary>
    /// <summary>Deepest nesting a dataset asks for: 64 missing closing parens.</summary>
    public const int MaxDepth = 64;

    public static IReadOnlyList<int> ParseDepths(string text)
    {
        var result = new List<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-');
            if (range.Length == 1 && int.TryParse(range[0], out var d) && d is >= 1 and <= MaxDepth) result.Add(d);
            else if (range.Length == 2 && int.TryParse(range[0], out var a) && int.TryParse(range[1], out var b) && a >= 1 && b >= a && b <= MaxDepth)
                result.AddRange(Enumerable.Range(a, b - a + 1));
            else throw new FormatException($"expected depths such as 1-4 or 1,2,4 (each in [1, {MaxDepth}]), found '{text}'");
        }
        if (result.Count == 0) throw new FormatException($"expected at least one depth, found '{text}'");
        return result.Distinct().ToList();
    }
}
