// The programming languages SharpLens.Code parses, each backed by one tree-sitter grammar in libsharplens_treesitter.so.
namespace SharpLens.Code;

/// <summary>A language with a tree-sitter grammar compiled into the native library.</summary>
public sealed class Language
{
    /// <summary>Python (tree-sitter-python 0.25.0).</summary>
    public static readonly Language Python = new("python", 0, [".py", ".pyi"]);
    /// <summary>Java (tree-sitter-java 0.23.5).</summary>
    public static readonly Language Java = new("java", 1, [".java"]);
    /// <summary>JavaScript including JSX (tree-sitter-javascript 0.25.0).</summary>
    public static readonly Language JavaScript = new("javascript", 2, [".js", ".mjs", ".cjs", ".jsx"]);
    /// <summary>TypeScript (tree-sitter-typescript 0.23.2, `typescript` grammar).</summary>
    public static readonly Language TypeScript = new("typescript", 3, [".ts", ".mts", ".cts"]);
    /// <summary>TypeScript with JSX (tree-sitter-typescript 0.23.2, `tsx` grammar).</summary>
    public static readonly Language Tsx = new("tsx", 4, [".tsx"]);
    /// <summary>C# (tree-sitter-c-sharp 0.23.5).</summary>
    public static readonly Language CSharp = new("csharp", 5, [".cs"]);
    /// <summary>Go (tree-sitter-go 0.25.0).</summary>
    public static readonly Language Go = new("go", 6, [".go"]);

    /// <summary>Every supported language.</summary>
    public static IReadOnlyList<Language> All { get; } = [Python, Java, JavaScript, TypeScript, Tsx, CSharp, Go];

    /// <summary>Lower-case name used on the command line and in datasets (python, java, javascript, typescript, tsx, csharp, go).</summary>
    public string Name { get; }

    /// <summary>File extensions (with the dot, lower case) that map to this language.</summary>
    public IReadOnlyList<string> Extensions { get; }

    internal int NativeId { get; }

    Language(string name, int nativeId, string[] extensions) { Name = name; NativeId = nativeId; Extensions = extensions; }

    /// <summary>The language for a file extension such as ".py" (case-insensitive; the dot is optional).</summary>
    public static Language FromExtension(string extension) =>
        TryFromExtension(extension) ?? throw new ArgumentException(
            $"no grammar for extension '{extension}'; expected one of {string.Join(", ", All.SelectMany(l => l.Extensions))}", nameof(extension));

    /// <summary>The language for a file extension, or null when none matches.</summary>
    public static Language? TryFromExtension(string extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        var ext = extension.StartsWith('.') ? extension.ToLowerInvariant() : "." + extension.ToLowerInvariant();
        return All.FirstOrDefault(l => l.Extensions.Contains(ext));
    }

    /// <summary>The language for a path's extension, or null when none matches.</summary>
    public static Language? TryFromPath(string path) => TryFromExtension(Path.GetExtension(path));

    /// <summary>The language with this <see cref="Name"/> (case-insensitive; "js", "ts", "c#", "cs", "py" accepted).</summary>
    public static Language FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var n = name.Trim().ToLowerInvariant() switch { "py" => "python", "js" => "javascript", "ts" => "typescript", "c#" or "cs" or "c_sharp" => "csharp", var x => x };
        return All.FirstOrDefault(l => l.Name == n) ?? throw new ArgumentException(
            $"unknown language '{name}'; expected one of {string.Join(", ", All.Select(l => l.Name))}", nameof(name));
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
