// A source folder as a fixed list of files (sorted paths, content hashes): the work units of the sharded dataset builders.
using System.Security.Cryptography;
using System.Text;

namespace SharpLens.Code.Datasets;

/// <summary>One file of a <see cref="SourcePlan"/>: its path relative to the folder, its language and the hash of its text.</summary>
public sealed record SourceEntry(string Path, string Language, string Hash);

/// <summary>The counts of a <see cref="SourceScan"/> as a plain record (stored in a run manifest).</summary>
public sealed record ScanCounts(int Read, int SkippedNotUtf8, int SkippedTooLarge, int SkippedUnreadable, long BytesRead)
{
    public static ScanCounts Of(SourceScan s) => new(s.Read, s.SkippedNotUtf8, s.SkippedTooLarge, s.SkippedUnreadable, s.BytesRead);

    public SourceScan ToScan() => new()
    {
        Read = Read, SkippedNotUtf8 = SkippedNotUtf8, SkippedTooLarge = SkippedTooLarge, SkippedUnreadable = SkippedUnreadable, BytesRead = BytesRead,
    };
}

/// <summary>
/// The files a dataset builder reads from <see cref="Directory"/>, in the order it reads them (<see cref="SourceFiles.Read"/>:
/// ordinal path order, the same skips and file limit), each with SHA-256 of its decoded text, so that every shard of a
/// sharded build cuts the same list and a file changed between the shards and the merge is caught.
/// </summary>
public sealed record SourcePlan(string Directory, IReadOnlyList<SourceEntry> Files, ScanCounts Scan)
{
    /// <summary>Reads (and hashes) every file the builders would read; nothing is parsed.</summary>
    public static SourcePlan Of(string directory, IReadOnlyCollection<Language>? languages, int maxFiles = int.MaxValue)
    {
        var scan = new SourceScan();
        var files = SourceFiles.Read(directory, scan, languages, maxFiles: maxFiles).Select(f => new SourceEntry(f.RelativePath, f.Language.Name, Hash(f.Text))).ToList();
        return new SourcePlan(System.IO.Path.GetFullPath(directory), files, ScanCounts.Of(scan));
    }

    /// <summary>SHA-256 (16 hex digits) of a file's text as UTF-8.</summary>
    public static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();

    /// <summary>SHA-256 (16 hex digits) over the list: every path, language and hash in order.</summary>
    public string FilesHash => Hash(string.Join("\n", Files.Select(f => $"{f.Path}\t{f.Language}\t{f.Hash}")));

    /// <summary>File <paramref name="index"/> read again; throws naming it when it changed since the plan was made.</summary>
    public SourceFile Read(int index)
    {
        var entry = Files[index];
        var path = System.IO.Path.Combine(Directory, entry.Path);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: expected the source file the run was planned on, found it unreadable ({e.Message})");
        }
        if (!SourceFiles.TryDecode(bytes, out var text) || Hash(text) != entry.Hash)
            throw new InvalidDataException($"{path}: the file changed since the run was planned (expected text hash {entry.Hash}); expected the files the run was planned on, or a new run");
        return new SourceFile(path, entry.Path, Language.FromName(entry.Language), text, bytes.Length);
    }

    /// <summary><see cref="Read"/>, each file read at most once (for a merge that looks files up by index).</summary>
    public Func<int, SourceFile> Cached()
    {
        var read = new Dictionary<int, SourceFile>();
        return i => read.TryGetValue(i, out var f) ? f : read[i] = Read(i);
    }
}
