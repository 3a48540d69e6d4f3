// The outcome of a strict checkpoint load: what was loaded, tied, ignored, missing, unexpected or mis-shaped.
using System.Text;

namespace SharpLens;

/// <summary>A parameter whose checkpoint shape differs from the model's.</summary>
public sealed record ShapeMismatch(string ModelKey, string CheckpointKey, long[] Expected, long[] Found)
{
    /// <summary><c>key: expected [..] (from config), found [..]</c>.</summary>
    public override string ToString() => $"{CheckpointKey}: expected [{string.Join(",", Expected)}] (from config), found [{string.Join(",", Found)}]";
}

/// <summary>Strict load report. <see cref="IsComplete"/> is true only when nothing is missing, unexpected or mis-shaped.</summary>
public sealed record LoadReport
{
    /// <summary>The weights file (or index) read.</summary>
    public required string Source { get; init; }
    /// <summary>Model parameters filled from the checkpoint.</summary>
    public required IReadOnlyList<string> Loaded { get; init; }
    /// <summary>Model parameters the checkpoint lacks.</summary>
    public required IReadOnlyList<string> Missing { get; init; }
    /// <summary>Checkpoint tensors no parameter maps to.</summary>
    public required IReadOnlyList<string> Unexpected { get; init; }
    /// <summary>Parameters whose checkpoint shape differs from the config's.</summary>
    public required IReadOnlyList<ShapeMismatch> Mismatched { get; init; }
    /// <summary>Parameters filled from a tied tensor (e.g. the unembedding from the embedding).</summary>
    public required IReadOnlyList<string> Tied { get; init; }
    /// <summary>Checkpoint tensors deliberately not loaded, with the reason.</summary>
    public required IReadOnlyList<string> Ignored { get; init; }
    /// <summary>Stored dtypes and how many tensors had each.</summary>
    public required IReadOnlyDictionary<string, int> StoredDTypes { get; init; }
    /// <summary>True when nothing is missing, unexpected or mis-shaped.</summary>
    public bool IsComplete => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    /// <summary>One line of counts, then one line per kind of problem.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append($"{Source}: loaded {Loaded.Count} tensors ({string.Join(", ", StoredDTypes.Select(kv => $"{kv.Value} {kv.Key}"))})");
        if (Tied.Count > 0) sb.Append($"; tied: {string.Join(", ", Tied)}");
        if (Ignored.Count > 0) sb.Append($"; ignored: {string.Join(", ", Ignored)}");
        if (Missing.Count > 0) sb.Append($"\n  missing ({Missing.Count}): {string.Join(", ", Missing.Take(20))}{(Missing.Count > 20 ? ", …" : "")}");
        if (Unexpected.Count > 0) sb.Append($"\n  unexpected ({Unexpected.Count}): {string.Join(", ", Unexpected.Take(20))}{(Unexpected.Count > 20 ? ", …" : "")}");
        if (Mismatched.Count > 0) sb.Append($"\n  mis-shaped ({Mismatched.Count}): {string.Join("; ", Mismatched.Take(20))}");
        return sb.ToString();
    }
}

/// <summary>A checkpoint that does not match the model its config describes. The message is the full report.</summary>
public sealed class CheckpointLoadException(LoadReport report)
    : Exception("checkpoint does not match the model: " + report)
{
    /// <summary>The report of the failed load.</summary>
    public LoadReport Report { get; } = report;
}
