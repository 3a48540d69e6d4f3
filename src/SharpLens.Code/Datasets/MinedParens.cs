// Mines real closing-parenthesis sites from a directory of source files, so the study is not limited to one template.
namespace SharpLens.Code.Datasets;

/// <summary>What a mining run found, including what it skipped and where it fell short.</summary>
public sealed record MiningReport(SourceScan Scan, int FilesWithParseErrors, IReadOnlyDictionary<int, int> SitesPerDepth,
    IReadOnlyDictionary<int, int> Shortfall);

/// <summary>A site: file (index in the read order), offset of its first ")", run length (= depth) and "(" open there.</summary>
public readonly record struct MinedSite(int File, int Offset, int Run, int Open);

/// <summary>
/// A site is the start of a maximal run of adjacent ")" leaves of an error-free tree (so every ")" closes an open "(",
/// and parens inside strings or comments are never sites). The prompt is the text before the run, starting at most
/// <c>contextLines</c> lines earlier; the label is the exact run (up to the next character that is not such a ")");
/// depth = run length; open_parens = "(" still open at the site per <see cref="BracketProfile"/>. Files with parse
/// errors are skipped and counted. Sites are drawn per depth with a seeded shuffle and split like the templates.
/// </summary>
public static class MinedParens
{
    /// <summary>Generator name/version recorded in every example.</summary>
    public const string Generator = "sharplens.data.parens-mined/1";

    /// <summary>Mines <paramref name="directory"/> for files of <paramref name="languages"/> (all when empty): <see cref="Sites"/> of every file, then <see cref="Select"/>.</summary>
    public static (IReadOnlyList<ParensExample> Examples, MiningReport Report) Mine(string directory, IReadOnlyCollection<Language> languages,
        IReadOnlyList<int> depths, SplitSizes sizes, long seed, int contextLines = 40, int maxFiles = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(depths);
        ArgumentNullException.ThrowIfNull(sizes);
        if (contextLines < 1) throw new ArgumentOutOfRangeException(nameof(contextLines), $"expected ≥ 1 context line, found {contextLines}");
        var scan = new SourceScan();
        var files = new Dictionary<int, SourceFile>();
        var sites = new List<MinedSite>();
        int withErrors = 0, index = 0;
        foreach (var file in SourceFiles.Read(directory, scan, languages, maxFiles: maxFiles))
        {
            var found = Sites(file, index, depths);
            if (found is null) withErrors++;
            else if (found.Count > 0) { files[index] = file; sites.AddRange(found); }
            index++;
        }
        return Select(sites, i => files[i], scan, withErrors, depths, sizes, seed, contextLines);
    }

    /// <summary>
    /// The sites of <paramref name="depths"/> in one file (<paramref name="fileIndex"/>: its place in the read order), in
    /// source order; null when the file has parse errors (it is skipped and counted).
    /// </summary>
    public static IReadOnlyList<MinedSite>? Sites(SourceFile file, int fileIndex, IReadOnlyCollection<int> depths)
    {
        var tree = SyntaxTree.Parse(file.Text, file.Language);
        if (tree.HasErrors) return null;
        var sites = new List<MinedSite>();
        var profile = BracketProfile.Compute(tree);
        var leaves = tree.Leaves;
        for (int i = 0; i < leaves.Count; i++)
        {
            if (!IsCloser(leaves[i]) || (i > 0 && IsCloser(leaves[i - 1]) && leaves[i - 1].End == leaves[i].Start)) continue;
            int run = 1;
            while (i + run < leaves.Count && IsCloser(leaves[i + run]) && leaves[i + run - 1].End == leaves[i + run].Start) run++;
            if (depths.Contains(run)) sites.Add(new MinedSite(fileIndex, leaves[i].Start, run, profile.OpenParensAt(leaves[i].Start)));
        }
        return sites;
    }

    /// <summary>
    /// The examples from every file's sites (in read order): per depth a seeded shuffle, the first
    /// <paramref name="sizes"/> split like the templates; <paramref name="file"/> gives a site's file by its index (only
    /// the files of drawn sites are asked for). The report counts what <paramref name="scan"/> read and skipped.
    /// </summary>
    public static (IReadOnlyList<ParensExample> Examples, MiningReport Report) Select(IReadOnlyList<MinedSite> all, Func<int, SourceFile> file, SourceScan scan,
        int filesWithParseErrors, IReadOnlyList<int> depths, SplitSizes sizes, long seed, int contextLines)
    {
        if (contextLines < 1) throw new ArgumentOutOfRangeException(nameof(contextLines), $"expected ≥ 1 context line, found {contextLines}");
        var sites = depths.ToDictionary(d => d, _ => new List<MinedSite>());
        foreach (var s in all)
            if (sites.TryGetValue(s.Run, out var list)) list.Add(s);
        var examples = new List<ParensExample>();
        var shortfall = new Dictionary<int, int>();
        foreach (var depth in depths)
        {
            var list = sites[depth];
            new SeededRandom(seed, depth, 3).Shuffle(list);
            int take = Math.Min(list.Count, sizes.Total);
            if (take < sizes.Total) shortfall[depth] = sizes.Total - take;
            // Keep the requested proportions when short: scale each split down.
            var scaled = take == sizes.Total ? sizes : Scale(sizes, take);
            for (int i = 0; i < take; i++)
            {
                var s = list[i];
                var f = file(s.File);
                var split = scaled.SplitOf(i);
                examples.Add(new ParensExample
                {
                    Id = $"mined-d{depth}-{split}-{i:D4}",
                    Variant = "mined",
                    Prompt = Context(f.Text, s.Offset, contextLines),
                    LabelText = new string(')', s.Run),
                    CounterfactualText = new string(')', s.Run + 1),
                    Depth = s.Run,
                    OpenParens = s.Open,
                    Split = split, Language = f.Language.Name, Source = f.RelativePath.Replace('\\', '/'),
                    Offset = s.Offset, Line = LineOf(f.Text, s.Offset), Seed = seed, Generator = Generator,
                });
            }
        }
        var report = new MiningReport(scan, filesWithParseErrors, depths.ToDictionary(d => d, d => sites[d].Count), shortfall);
        return (examples, report);
    }

    static bool IsCloser(SyntaxNode leaf) => leaf.Type == ")" && !leaf.IsNamed && !leaf.IsMissing && leaf.Length == 1;

    static SplitSizes Scale(SplitSizes s, int take)
    {
        int train = (int)((long)take * s.Train / Math.Max(1, s.Total));
        int dev = (int)((long)take * s.Dev / Math.Max(1, s.Total));
        return new SplitSizes(train, dev, take - train - dev);
    }

    /// <summary>The text before <paramref name="offset"/>, starting at the beginning of the line <paramref name="lines"/> − 1 lines above.</summary>
    public static string Context(string text, int offset, int lines)
    {
        int start = offset;
        int seen = 0;
        while (start > 0)
        {
            if (text[start - 1] == '\n' && ++seen == lines) break;
            start--;
        }
        return text.Substring(start, offset - start);
    }

    static int LineOf(string text, int offset)
    {
        int line = 1;
        for (int i = 0; i < offset; i++) if (text[i] == '\n') line++;
        return line;
    }
}
