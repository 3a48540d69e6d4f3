// Writes a report's files into a temporary sibling folder and moves them in at the end: a failure leaves no partial report.
namespace SharpLens.Reports;

/// <summary>Atomic report folders.</summary>
public static class ReportFolder
{
    /// <summary>
    /// Calls <paramref name="write"/> with a fresh temporary folder next to <paramref name="output"/>, then moves it to
    /// <paramref name="output"/> (or, when that folder exists, moves each of <paramref name="files"/> over the old ones,
    /// leaving anything else there untouched). The temporary folder is removed in every case.
    /// </summary>
    public static void WriteAtomically(string output, IReadOnlyList<string> files, Action<string> write)
    {
        output = Path.GetFullPath(output);
        var parent = Path.GetDirectoryName(output) ?? ".";
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, "." + Path.GetFileName(output) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Directory.CreateDirectory(tmp);
            write(tmp);
            if (!Directory.Exists(output)) Directory.Move(tmp, output);
            else foreach (var f in files) File.Move(Path.Combine(tmp, f), Path.Combine(output, f), overwrite: true);
        }
        finally { if (Directory.Exists(tmp)) Directory.Delete(tmp, true); }
    }
}
