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

    /// <summary>Why a test that needs <paramref name="directory"/> (and the fixtures) cannot run here, or null when it can.</summary>
    public static string? MissingResource(string directory, bool fixtures) =>
        fixtures && Root is null ? MissingMessage
        : !Directory.Exists(directory) ? $"{directory} is not present on this machine" : null;
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

/// <summary>A fact that needs a folder of this machine (and the fixtures, when <c>fixtures</c>): skipped, saying which, when absent.</summary>
public sealed class DirectoryFactAttribute : FactAttribute
{
    public DirectoryFactAttribute(string directory, bool fixtures = false) { Skip = Fixtures.MissingResource(directory, fixtures); }
}

/// <summary>A theory that needs a folder of this machine (and the fixtures, when <c>fixtures</c>): skipped, saying which, when absent.</summary>
public sealed class DirectoryTheoryAttribute : TheoryAttribute
{
    public DirectoryTheoryAttribute(string directory, bool fixtures = false) { Skip = Fixtures.MissingResource(directory, fixtures); }
}
