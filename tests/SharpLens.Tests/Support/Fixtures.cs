// Locates the shared reference fixtures (SHARPLENS_FIXTURES or ../shared/fixtures beside the repository).
namespace SharpLens.Tests.Support;

public static class Fixtures
{
    /// <summary>The fixtures root, or null when it cannot be found.</summary>
    public static string? Root { get; } = Find();

    public static string RepoRoot { get; } = FindRepoRoot();

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "SharpLens.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find SharpLens.slnx above " + AppContext.BaseDirectory);
    }

    static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("SHARPLENS_FIXTURES");
        if (!string.IsNullOrEmpty(env)) return Directory.Exists(env) ? env : null;
        var p = Path.GetFullPath(Path.Combine(FindRepoRoot(), "..", "shared", "fixtures"));
        return Directory.Exists(p) ? p : null;
    }

    public static string Model(string name) => Path.Combine(Root ?? throw new InvalidOperationException(MissingMessage), "models", name);
    public static string Tokenizer(string name) => Path.Combine(Root ?? throw new InvalidOperationException(MissingMessage), "tokenizers", name);

    public const string MissingMessage = "reference fixtures not found: set SHARPLENS_FIXTURES or place them at ../shared/fixtures";
}

/// <summary>A fact that is skipped, with a clear message, when the reference fixtures are absent.</summary>
public sealed class FixtureFactAttribute : FactAttribute
{
    public FixtureFactAttribute() { if (Fixtures.Root == null) Skip = Fixtures.MissingMessage; }
}

/// <summary>A theory that is skipped, with a clear message, when the reference fixtures are absent.</summary>
public sealed class FixtureTheoryAttribute : TheoryAttribute
{
    public FixtureTheoryAttribute() { if (Fixtures.Root == null) Skip = Fixtures.MissingMessage; }
}
