// Writes dataset records as JSON Lines with stable field order, readable escaping and '\n' line ends.
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharpLens.Code.Datasets;

/// <summary>JSON Lines output shared by the dataset generators.</summary>
public static class Jsonl
{
    static readonly JsonWriterOptions options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>Writes one line per record; <paramref name="write"/> writes the record's properties in a fixed order.</summary>
    public static void Write<T>(string path, IEnumerable<T> records, Action<Utf8JsonWriter, T> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var stream = File.Create(path);
        Write(stream, records, write);
    }

    /// <summary>Writes one line per record to a stream.</summary>
    public static void Write<T>(Stream stream, IEnumerable<T> records, Action<Utf8JsonWriter, T> write)
    {
        foreach (var r in records)
        {
            using (var w = new Utf8JsonWriter(stream, options))
            {
                w.WriteStartObject();
                write(w, r);
                w.WriteEndObject();
            }
            stream.WriteByte((byte)'\n');
        }
    }

    /// <summary>Writes a string property, or null.</summary>
    internal static void Str(this Utf8JsonWriter w, string name, string? value)
    {
        if (value == null) w.WriteNull(name); else w.WriteString(name, value);
    }
}
