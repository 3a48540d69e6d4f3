// Memory-mapped safetensors reader with strict header validation (spec: huggingface/safetensors).
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Loading;

/// <summary>One tensor's header entry.</summary>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements.</summary>
    public long NumEl => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>A malformed or inconsistent checkpoint file.</summary>
public sealed class CheckpointFormatException(string message) : Exception(message);

/// <summary>
/// A safetensors file. Tensors are views of a private memory map of the file (no copy into managed memory) when their
/// offsets are aligned to the element size; otherwise they are copied.
/// </summary>
public sealed class SafeTensorsFile : ITensorSource
{
    readonly Dictionary<string, SafeTensorEntry> entries;
    readonly Dictionary<ScalarType, Tensor> maps = new();
    readonly long dataStart;
    readonly long fileLength;

    /// <summary>The file.</summary>
    public string Path { get; }
    /// <summary>The header's <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>The header entry of every tensor.</summary>
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries => entries;
    /// <inheritdoc/>
    public IEnumerable<string> Keys => entries.Keys;

    SafeTensorsFile(string path, Dictionary<string, SafeTensorEntry> entries, Dictionary<string, string> metadata, long dataStart, long fileLength)
    {
        Path = path; this.entries = entries; Metadata = metadata; this.dataStart = dataStart; this.fileLength = fileLength;
    }

    /// <summary>Bytes per element of a safetensors dtype string.</summary>
    public static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => throw new CheckpointFormatException($"unsupported safetensors dtype '{dtype}'"),
    };

    /// <summary>The TorchSharp type of a safetensors dtype string.</summary>
    public static ScalarType ToScalarType(string dtype) => dtype switch
    {
        "F64" => ScalarType.Float64, "F32" => ScalarType.Float32, "F16" => ScalarType.Float16, "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64, "I32" => ScalarType.Int32, "I16" => ScalarType.Int16, "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte, "BOOL" => ScalarType.Bool,
        _ => throw new CheckpointFormatException($"safetensors dtype '{dtype}' is not supported by SharpLens (F64/F32/F16/BF16/I64/I32/I16/I8/U8/BOOL are)"),
    };

    /// <summary>Opens and validates a safetensors file: header length, JSON, dtypes, shapes vs byte sizes, offsets.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        long length = new FileInfo(path).Length;
        if (length < 8) throw new CheckpointFormatException($"{path}: file is {length} bytes; a safetensors file starts with an 8-byte header length");
        byte[] header;
        using (var fs = File.OpenRead(path))
        {
            Span<byte> lenBytes = stackalloc byte[8];
            fs.ReadExactly(lenBytes);
            ulong n = BitConverter.ToUInt64(lenBytes);
            if (n > (ulong)(length - 8))
                throw new CheckpointFormatException($"{path}: header length {n} runs past the end of the file ({length} bytes)");
            if (n > 100_000_000) throw new CheckpointFormatException($"{path}: header length {n} exceeds the 100 MB limit");
            header = new byte[n];
            fs.ReadExactly(header);
        }
        long dataStart = 8 + header.Length, dataLength = length - dataStart;
        if (SharpLens.Code.Utf8Text.FirstInvalid(header) is long bad) throw new CheckpointFormatException($"{path}: header has invalid UTF-8 at byte offset {8 + bad}");
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new CheckpointFormatException($"{path}: header is not valid JSON ({e.Message})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"{path}: header is not a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"{path}: __metadata__ is not an object");
                    foreach (var m in p.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw new CheckpointFormatException($"{path}: __metadata__.{m.Name} is not a string");
                    continue;
                }
                entries[p.Name] = ParseEntry(path, p.Name, p.Value, dataLength);
            }
        }
        // Offsets must tile the data buffer exactly: no overlap, no hole, nothing past the end.
        long cursor = 0;
        foreach (var e in entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < cursor) throw new CheckpointFormatException($"{path}: tensor '{e.Name}' [{e.Begin},{e.End}) overlaps the previous tensor (which ends at {cursor})");
            if (e.Begin > cursor) throw new CheckpointFormatException($"{path}: bytes [{cursor},{e.Begin}) before tensor '{e.Name}' belong to no tensor");
            cursor = e.End;
        }
        if (cursor != dataLength) throw new CheckpointFormatException($"{path}: tensors cover {cursor} data bytes but the file holds {dataLength} (truncated or trailing bytes)");
        return new SafeTensorsFile(path, entries, metadata, dataStart, length);
    }

    static SafeTensorEntry ParseEntry(string path, string name, JsonElement v, long dataLength)
    {
        string where = $"{path}: tensor '{name}'";
        if (v.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException($"{where}: entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw new CheckpointFormatException($"{where}: missing dtype");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw new CheckpointFormatException($"{where}: missing shape");
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new CheckpointFormatException($"{where}: data_offsets must be [begin, end]");
        var dtype = dt.GetString()!;
        int es;
        try { es = ElementSize(dtype); }
        catch (CheckpointFormatException e) { throw new CheckpointFormatException($"{where}: {e.Message}"); }
        var shape = sh.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out var d) && d >= 0 ? d
            : throw new CheckpointFormatException($"{where}: bad dimension {x.GetRawText()}")).ToArray();
        long begin = off[0].ValueKind == JsonValueKind.Number && off[0].TryGetInt64(out var b) ? b : -1;
        long end = off[1].ValueKind == JsonValueKind.Number && off[1].TryGetInt64(out var en) ? en : -1;
        if (begin < 0 || end < begin) throw new CheckpointFormatException($"{where}: data_offsets [{off[0]},{off[1]}] are invalid");
        if (end > dataLength) throw new CheckpointFormatException($"{where}: data_offsets end {end} is past the data buffer ({dataLength} bytes; truncated file?)");
        // Every product is checked: a shape whose byte size overflows 64 bits cannot match any real data span.
        long numel = 1;
        foreach (var d in shape)
            numel = d != 0 && numel > long.MaxValue / es / d
                ? throw new CheckpointFormatException($"{where}: {dtype} shape [{string.Join(",", shape)}] overflows 64-bit byte sizes")
                : numel * d;
        if ((end - begin) != numel * es)
            throw new CheckpointFormatException($"{where}: {dtype} shape [{string.Join(",", shape)}] needs {numel * es} bytes but data_offsets span {end - begin}");
        return new SafeTensorEntry(name, dtype, shape, begin, end);
    }

    /// <inheritdoc/>
    public bool Contains(string key) => entries.ContainsKey(key);
    /// <inheritdoc/>
    public long[] Shape(string key) => Entry(key).Shape;
    /// <inheritdoc/>
    public string DTypeOf(string key) => Entry(key).DType;

    SafeTensorEntry Entry(string key) => entries.TryGetValue(key, out var e) ? e
        : throw new KeyNotFoundException($"{Path}: no tensor named '{key}'");

    /// <summary>The tensor in its stored dtype, a view of the memory map when aligned (do not write to it).</summary>
    public Tensor Load(string key)
    {
        var e = Entry(key);
        var st = ToScalarType(e.DType);
        int es = ElementSize(e.DType);
        long abs = dataStart + e.Begin;
        if (e.NumEl == 0) return zeros(e.Shape, st);
        if (abs % es == 0)
        {
            if (!maps.TryGetValue(st, out var map))
                maps[st] = map = from_file(Path, shared: false, size: fileLength / es, dtype: st).DetachFromDisposeScope();
            return map.narrow(0, abs / es, e.NumEl).view(e.Shape);
        }
        // Unaligned: copy the bytes (reinterpret, never convert).
        var t = empty(e.Shape, st);
        using var fs = File.OpenRead(Path);
        fs.Position = abs;
        var buf = new byte[e.End - e.Begin];
        fs.ReadExactly(buf);
        t.bytes = buf;
        return t;
    }

    /// <summary>Releases the memory maps (tensors loaded as views of them become invalid).</summary>
    public void Dispose()
    {
        foreach (var m in maps.Values) m.Dispose();
        maps.Clear();
    }
}
