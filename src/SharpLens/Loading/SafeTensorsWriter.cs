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

        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
                fs.Write(headerBytes);
                foreach (var c in blobs) if (c.NumberOfElements > 0) fs.Write(c.bytes);
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
