// Declared, per-architecture mapping from model parameter names to checkpoint keys (no layout guessing).
namespace SharpLens.Loading;

/// <summary>
/// How a checkpoint's keys relate to the model's parameter names. SharpLens modules mirror the HF module tree, so the
/// base map is the identity; architectures declare optional prefixes, aliases (other naming conventions), tied keys and
/// ignorable non-parameter buffers. Nothing is inferred from shapes.
/// </summary>
public sealed class CheckpointMap
{
    readonly List<string> optionalPrefixes = new();
    readonly List<(Func<string, string?> Alias, string Why)> aliases = new();
    readonly Dictionary<string, string> ties = new(StringComparer.Ordinal);
    readonly List<(Func<string, bool> Match, string Why)> ignorable = new();

    /// <summary>A new map under which checkpoint keys equal model keys; refine it with the methods below.</summary>
    public static CheckpointMap Identity => new();

    /// <summary>Model keys start with <paramref name="prefix"/>; checkpoints may store them without it.</summary>
    public CheckpointMap OptionalPrefix(string prefix) { optionalPrefixes.Add(prefix); return this; }

    /// <summary>An alternative checkpoint name for a model key (e.g. the original state-spaces naming).</summary>
    public CheckpointMap Alias(Func<string, string?> alias, string why) { aliases.Add((alias, why)); return this; }

    /// <summary>The checkpoint may hold <paramref name="checkpointKey"/>, which the model ties to <paramref name="tiedTo"/>: it is not loaded.</summary>
    public CheckpointMap Tie(string checkpointKey, string tiedTo) { ties[checkpointKey] = tiedTo; return this; }

    /// <summary>Checkpoint keys that are buffers the model recomputes (e.g. rotary inv_freq); present or not, they are not loaded.</summary>
    public CheckpointMap Ignore(Func<string, bool> match, string why) { ignorable.Add((match, why)); return this; }

    /// <summary>Checkpoint keys to try for a model key, in order.</summary>
    public IEnumerable<string> Candidates(string modelKey)
    {
        yield return modelKey;
        foreach (var p in optionalPrefixes)
            if (modelKey.StartsWith(p, StringComparison.Ordinal)) yield return modelKey[p.Length..];
        foreach (var (alias, _) in aliases)
            if (alias(modelKey) is string a) yield return a;
    }

    internal string? TiedTo(string checkpointKey)
    {
        if (ties.TryGetValue(checkpointKey, out var t)) return t;
        foreach (var p in optionalPrefixes)
            if (ties.TryGetValue(p + checkpointKey, out t)) return t;
        return null;
    }

    internal string? IgnoreReason(string checkpointKey) => ignorable.FirstOrDefault(i => i.Match(checkpointKey)).Why;
}
