// The outcome of a strict checkpoint load: what was loaded, tied, ignored, missing, unexpected or mis-shaped.
using System.Text;

namespace SharpLens;

/// <summary>A parameter whose checkpoint shape differs from the model's.</summary>
public sealed record ShapeMismatch(string ModelKey, string CheckpointKey, long[] Expected, long[] Found)
{
    public override string ToString() => $"{CheckpointKey}: expected [{string.Join(",", Expected)}] (from config), found [{string.Join(",", Found)}]";
}

/// <summary>Strict load report. <see cref="IsComplete"/> is true only when nothing is missing, unexpected or mis-shaped.</summary>
public sealed record LoadReport
{
    public required string Source { get; init; }
    public required IReadOnlyList<string> Loaded { get; init; }
    public required IReadOnlyList<string> Missing { get; init; }
    public required IReadOnlyList<string> Unexpected { get; init; }
    public required IReadOnlyList<ShapeMismatch> Mismatched { get; init; }
    public required IReadOnlyList<string> Tied { get; init; }
    public required IReadOnlyList<string> Ignored { get; init; }
    public required IReadOnlyDictionary<string, int> StoredDTypes { get; init; }
    public bool IsComplete => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

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
    public LoadReport Report { get; } = report;
}
