// Reads text files strictly as UTF-8: invalid bytes are an error naming the file and byte offset, unless the caller asks for lossy.
using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SharpLens.Code;

/// <summary>Strict UTF-8 reading for every input file SharpLens parses (datasets, configs, corpora, JSONL inputs).</summary>
public static class Utf8Text
{
    /// <summary>Decodes <paramref name="bytes"/> (a leading BOM dropped). Invalid UTF-8 throws <see cref="InvalidDataException"/>
    /// with the byte offset, unless <paramref name="lossy"/>, which replaces each invalid sequence with U+FFFD.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string source, bool lossy = false)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        if (lossy) return Encoding.UTF8.GetString(bytes);
        if (FirstInvalid(bytes) is long at)
            throw new InvalidDataException($"{source}: invalid UTF-8 at byte offset {at}; expected UTF-8 text");
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The offset of the first byte that is not valid UTF-8, or null when all of it is.</summary>
    public static long? FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        var buffer = ArrayPool<char>.Shared.Rent(4096);
        try
        {
            long offset = 0;
            while (!bytes.IsEmpty)
            {
                var status = Utf8.ToUtf16(bytes, buffer, out int read, out _, replaceInvalidSequences: false, isFinalBlock: true);
                if (status == OperationStatus.InvalidData || status == OperationStatus.NeedMoreData) return offset + read;
                offset += read;
                bytes = bytes[read..];
            }
            return null;
        }
        finally { ArrayPool<char>.Shared.Return(buffer); }
    }

    /// <summary>The whole file as text, strictly decoded (see <see cref="Decode"/>).</summary>
    public static string ReadAllText(string path, bool lossy = false)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        return Decode(File.ReadAllBytes(path), path, lossy);
    }

    /// <summary>The file's lines ('\n', '\r\n' or '\r' ends), strictly decoded.</summary>
    public static IReadOnlyList<string> ReadLines(string path, bool lossy = false)
    {
        var lines = new List<string>();
        using var reader = new StringReader(ReadAllText(path, lossy));
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine()) lines.Add(line);
        return lines;
    }
}
