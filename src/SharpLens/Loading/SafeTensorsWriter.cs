// Writes safetensors files (8-byte header length, JSON header padded to 8, contiguous little-endian data), atomically.
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace SharpLens.Loading;

/// <summary>Safetensors writer. The file appears only when complete (written to a temporary name, then renamed).</summary>
public static class SafeTensorsWriter
{
    /// <summary>The safetensors dtype string of a TorchSharp type.</summary>
    public static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float64 => "F64", ScalarType.Float32 => "F32", ScalarType.Float16 => "F16", ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64", ScalarType.Int32 => "I32", ScalarType.Int16 => "I16", ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8", ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"cannot write dtype {t} to safetensors"),
    };

    /// <summary>
    /// Writes each named tensor as the concatenation of its parts along dimension 0, streaming part by part (no
    /// concatenated copy in memory). Parts must be contiguous CPU tensors of one dtype and equal trailing dimensions.
    /// </summary>
    public static void WriteParts(string path, IReadOnlyList<(string Name, IReadOnlyList<Tensor> Parts)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var dup = tensors.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"tensor name '{dup.Key}' given twice");
        var header = new Dictionary<string, object> { ["__metadata__"] = metadata ?? new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, parts) in tensors)
        {
            if (parts.Count == 0) throw new ArgumentException($"tensor '{name}' has no parts");
            var first = parts[0];
            foreach (var t in parts)
                if (t.dtype != first.dtype || !t.is_contiguous() || t.device.type != TorchSharp.DeviceType.CPU || !t.shape.Skip(1).SequenceEqual(first.shape.Skip(1)))
                    throw new ArgumentException($"tensor '{name}': parts must be contiguous CPU tensors of one dtype and trailing shape");
            long rows = parts.Sum(t => t.shape[0]);
            long n = parts.Sum(t => t.NumberOfElements * t.ElementSize);
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = DTypeName(first.dtype), ["shape"] = (long[])[rows, .. first.shape.Skip(1)], ["data_offsets"] = new[] { offset, offset + n },
            };
            offset += n;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int pad = (8 - json.Length % 8) % 8;
        WriteAtomically(path, fs =>
        {
            fs.Write(BitConverter.GetBytes((ulong)(json.Length + pad)));
            fs.Write(json);
            for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
            foreach (var (_, parts) in tensors)
                foreach (var t in parts)
                    if (t.NumberOfElements > 0) fs.Write(t.bytes);
        });
    }

    /// <summary>Writes tensors in the given order under the given names.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var dup = list.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"tensor name '{dup.Key}' given twice");
        var header = new Dictionary<string, object>();
        header["__metadata__"] = metadata ?? new Dictionary<string, string> { ["format"] = "pt" };
        long offset = 0;
        var blobs = new List<Tensor>();
        foreach (var (name, t) in list)
        {
            var c = t.detach().cpu().contiguous();
            long n = c.NumberOfElements * c.ElementSize;
            header[name] = new Dictionary<string, object> { ["dtype"] = DTypeName(c.dtype), ["shape"] = c.shape, ["data_offsets"] = new[] { offset, offset + n } };
            offset += n;
            blobs.Add(c);
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int pad = (8 - json.Length % 8) % 8;
        var headerBytes = new byte[json.Length + pad];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < headerBytes.Length; i++) headerBytes[i] = (byte)' ';

        WriteAtomically(path, fs =>
        {
            fs.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
            fs.Write(headerBytes);
            foreach (var c in blobs) if (c.NumberOfElements > 0) fs.Write(c.bytes);
        });
    }

    /// <summary>Writes to a temporary name in the same folder, then renames (Loading keeps its own: Reports' AtomicFile is a layer above).</summary>
    static void WriteAtomically(string path, Action<FileStream> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                write(fs);
                fs.Flush(true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
