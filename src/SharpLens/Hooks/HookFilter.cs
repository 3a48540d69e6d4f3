// Which hooks a cached run records: by exact names, by site (any layer), by glob, or by predicate.
namespace SharpLens.Hooks;

/// <summary>Selects hook names for <c>RunWithCache</c>.</summary>
public sealed class HookFilter
{
    readonly Func<HookName, bool> predicate;
    HookFilter(Func<HookName, bool> predicate, string description) { this.predicate = predicate; Description = description; }

    /// <summary>What the filter selects, for messages.</summary>
    public string Description { get; }
    /// <summary>Whether <paramref name="name"/> is selected.</summary>
    public bool Matches(HookName name) => predicate(name);

    /// <summary>Every hook.</summary>
    public static HookFilter All { get; } = new(_ => true, "all");
    /// <summary>Exactly these names.</summary>
    public static HookFilter Names(params HookName[] names)
    {
        var set = names.Select(n => n.ToString()).ToHashSet(StringComparer.Ordinal);
        return new(n => set.Contains(n.ToString()), string.Join(",", set));
    }
    /// <summary>Exactly these names, as strings (<c>blocks.0.hook_resid_post</c>).</summary>
    public static HookFilter Names(IEnumerable<string> names)
    {
        var set = names.ToHashSet(StringComparer.Ordinal);
        return new(n => set.Contains(n.ToString()), string.Join(",", set));
    }
    /// <summary>These sites at every layer.</summary>
    public static HookFilter Sites(params HookSite[] sites)
    {
        var set = sites.Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
        return new(n => set.Contains(n.Site.Path), "sites " + string.Join(",", set));
    }
    /// <summary>One site at every layer.</summary>
    public static HookFilter Site(HookSite site) => Sites(site);
    /// <summary>The names <paramref name="predicate"/> accepts.</summary>
    public static HookFilter Where(Func<HookName, bool> predicate, string description = "predicate") => new(predicate, description);

    /// <summary>A shell-style glob over the string names: <c>*</c> matches any run of characters, <c>?</c> one.</summary>
    public static HookFilter Glob(params string[] patterns) =>
        new(n => patterns.Any(p => GlobMatch(p, n.ToString())), "glob " + string.Join(",", patterns));

    /// <summary>The names either filter selects.</summary>
    public HookFilter Or(HookFilter other) => new(n => Matches(n) || other.Matches(n), Description + " | " + other.Description);

    internal static bool GlobMatch(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
