// Reads a directory of source files for one or more languages, strictly as UTF-8; undecodable files are skipped and counted.
using System.Text;

namespace SharpLens.Code;

/// <summary>A source file read from disk.</summary>
public sealed record SourceFile(string Path, string RelativePath, Language Language, string Text, long Bytes);

/// <summary>Counts from one directory walk.</summary>
public sealed class SourceScan
{
    /// <summary>Files read and returned.</summary>
    public int Read { get; internal set; }
    /// <summary>Files skipped because they are not valid UTF-8.</summary>
    public int SkippedNotUtf8 { get; internal set; }
    /// <summary>Files skipped because they are larger than the limit.</summary>
    public int SkippedTooLarge { get; internal set; }
    /// <summary>Files that could not be opened.</summary>
    public int SkippedUnreadable { get; internal set; }
    /// <summary>Total bytes of the files read.</summary>
    public long BytesRead { get; internal set; }
}

/// <summary>Enumerates source files under a directory in a deterministic (ordinal path) order.</summary>
public static class SourceFiles
{
    static readonly UTF8Encoding strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Yields files under <paramref name="directory"/> whose extension maps to one of <paramref name="languages"/>
    /// (all languages when empty), sorted by relative path. A leading UTF-8 BOM is dropped.
    /// </summary>
    public static IEnumerable<SourceFile> Read(string directory, SourceScan scan, IReadOnlyCollection<Language>? languages = null,
        long maxBytes = 2_000_000, int maxFiles = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(scan);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"expected a source directory, found no directory at '{directory}'");
        var paths = Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Select(p => (Path: p, Lang: Language.TryFromPath(p)))
            .Where(x => x.Lang != null && (languages == null || languages.Count == 0 || languages.Contains(x.Lang)))
            .OrderBy(x => x.Path, StringComparer.Ordinal)
            .ToList();
        foreach (var (path, lang) in paths)
        {
            if (scan.Read >= maxFiles) yield break;
            byte[] bytes;
            try
            {
                var info = new FileInfo(path);
                if (info.Length > maxBytes) { scan.SkippedTooLarge++; continue; }
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { scan.SkippedUnreadable++; continue; }
            if (!TryDecode(bytes, out var text)) { scan.SkippedNotUtf8++; continue; }
            scan.Read++;
            scan.BytesRead += bytes.Length;
            yield return new SourceFile(path, System.IO.Path.GetRelativePath(directory, path), lang!, text, bytes.Length);
        }
    }

    /// <summary>Strict UTF-8 decoding; false when the bytes are not valid UTF-8.</summary>
    public static bool TryDecode(byte[] bytes, out string text)
    {
        try
        {
            int skip = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            text = strict.GetString(bytes, skip, bytes.Length - skip);
            return true;
        }
        catch (DecoderFallbackException) { text = ""; return false; }
    }
}
