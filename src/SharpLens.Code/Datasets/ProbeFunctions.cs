// Extracts standalone Python functions from a source directory for the probing datasets (CodeSearchNet-style units).
namespace SharpLens.Code.Datasets;

/// <summary>A function cut out of a file, dedented and reparsed on its own; pairs refer to its code tokens.</summary>
public sealed record ProbeFunction(int Id, string Source, int FileStart, int FileEnd, int Line, int Dedent, SyntaxTree Tree,
    IReadOnlyList<SyntaxNode> Tokens)
{
    /// <summary>The dedented function text (what the pairs' character spans index).</summary>
    public string Code => Tree.Source;
}

/// <summary>A function found in a file: file (index in the read order), its region from the start of its def line, and that line.</summary>
public readonly record struct FunctionCandidate(int File, int Start, int End, int Line);

/// <summary>Counts from a function extraction.</summary>
public sealed record FunctionExtractionReport(SourceScan Scan, int FilesWithParseErrors, int Candidates, int SkippedIndentation,
    int SkippedParseErrors, int SkippedSize, int Selected);

/// <summary>
/// Every <c>function_definition</c> not nested in another function (methods included; decorators dropped) is cut from
/// the start of its line to its end, dedented by its own column (skipped when a later line, e.g. inside a multi-line
/// string, is indented less), and reparsed alone; functions with parse errors or outside [minTokens, maxTokens] code
/// tokens are skipped. Candidates are gathered in path order, shuffled with the seed, and the first maxFunctions kept.
/// </summary>
public static class ProbeFunctions
{
    /// <summary>Extracts up to <paramref name="maxFunctions"/> Python functions from <paramref name="directory"/>: <see cref="Candidates"/> of every file, then <see cref="Select"/>.</summary>
    public static (IReadOnlyList<ProbeFunction> Functions, FunctionExtractionReport Report) Extract(string directory, int maxFunctions, long seed,
        int minTokens = 8, int maxTokens = 256, int maxFiles = int.MaxValue)
    {
        Check(maxFunctions, minTokens, maxTokens);
        var scan = new SourceScan();
        var files = new Dictionary<int, SourceFile>();
        var candidates = new List<FunctionCandidate>();
        int fileErrors = 0, index = 0;
        foreach (var file in SourceFiles.Read(directory, scan, [Language.Python], maxFiles: maxFiles))
        {
            var (found, errors) = Candidates(file, index);
            if (errors) fileErrors++;
            if (found.Count > 0) { files[index] = file; candidates.AddRange(found); }
            index++;
        }
        return Select(candidates, i => files[i], scan, fileErrors, maxFunctions, seed, minTokens, maxTokens);
    }

    /// <summary>
    /// The candidate functions of one Python file (<paramref name="fileIndex"/>: its place in the read order), in source
    /// order, and whether the file has parse errors (its error-free functions are still candidates).
    /// </summary>
    public static (IReadOnlyList<FunctionCandidate> Candidates, bool ParseErrors) Candidates(SourceFile file, int fileIndex)
    {
        var tree = SyntaxTree.Parse(file.Text, Language.Python);
        var candidates = new List<FunctionCandidate>();
        foreach (var fn in TopFunctions(tree.Root))
        {
            if (fn.HasError) continue;
            int lineStart = file.Text.LastIndexOf('\n', Math.Max(0, fn.Start - 1)) + 1;
            if (fn.Start == 0) lineStart = 0;
            candidates.Add(new FunctionCandidate(fileIndex, lineStart, fn.End, 1 + file.Text.AsSpan(0, lineStart).Count('\n')));
        }
        return (candidates, tree.HasErrors);
    }

    /// <summary>
    /// The functions from every file's candidates (in read order): shuffled with the seed, then dedented, reparsed and
    /// size-checked in that order until <paramref name="maxFunctions"/> are kept; <paramref name="file"/> gives a
    /// candidate's file by its index (only the files of candidates looked at are asked for).
    /// </summary>
    public static (IReadOnlyList<ProbeFunction> Functions, FunctionExtractionReport Report) Select(IReadOnlyList<FunctionCandidate> candidates,
        Func<int, SourceFile> file, SourceScan scan, int filesWithParseErrors, int maxFunctions, long seed, int minTokens = 8, int maxTokens = 256)
    {
        Check(maxFunctions, minTokens, maxTokens);
        var order = Enumerable.Range(0, candidates.Count).ToList();
        new SeededRandom(seed, 11).Shuffle(order);
        var functions = new List<ProbeFunction>();
        int skippedIndent = 0, skippedErrors = 0, skippedSize = 0;
        foreach (var ci in order)
        {
            if (functions.Count == maxFunctions) break;
            var c = candidates[ci];
            var f = file(c.File);
            var code = Dedent(f.Text.Substring(c.Start, c.End - c.Start), out int dedent);
            if (code == null) { skippedIndent++; continue; }
            var tree = SyntaxTree.Parse(code, Language.Python);
            if (tree.HasErrors) { skippedErrors++; continue; }
            var tokens = CodeTokens.Of(tree);
            if (tokens.Count < minTokens || tokens.Count > maxTokens) { skippedSize++; continue; }
            functions.Add(new ProbeFunction(functions.Count, f.RelativePath.Replace('\\', '/'), c.Start, c.End, c.Line, dedent, tree, tokens));
        }
        return (functions, new FunctionExtractionReport(scan, filesWithParseErrors, candidates.Count, skippedIndent, skippedErrors, skippedSize, functions.Count));
    }

    static void Check(int maxFunctions, int minTokens, int maxTokens)
    {
        if (maxFunctions < 1) throw new ArgumentOutOfRangeException(nameof(maxFunctions), $"expected at least 1 function, found {maxFunctions}");
        if (minTokens < 1 || maxTokens < minTokens) throw new ArgumentException($"expected 1 ≤ min tokens ≤ max tokens, found {minTokens}..{maxTokens}");
    }

    /// <summary>Every <c>function_definition</c> not nested in another function, in source order (methods included).</summary>
    public static IEnumerable<SyntaxNode> TopFunctions(SyntaxNode root)
    {
        var stack = new Stack<SyntaxNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (n.Type == "function_definition") { yield return n; continue; }
            for (int i = n.Children.Count - 1; i >= 0; i--) stack.Push(n.Children[i]);
        }
    }

    /// <summary>Removes the first line's indentation from every line; null when a non-blank line has less of it.</summary>
    internal static string? Dedent(string text, out int width)
    {
        width = 0;
        while (width < text.Length && (text[width] == ' ' || text[width] == '\t')) width++;
        if (width == 0) return text;
        var prefix = text[..width];
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith(prefix, StringComparison.Ordinal)) lines[i] = lines[i][width..];
            else if (string.IsNullOrWhiteSpace(lines[i])) lines[i] = "";
            else return null;
        }
        return string.Join('\n', lines);
    }
}
