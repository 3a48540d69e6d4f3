// PyTorch zip state dicts: a tiny torch.save-style writer (pickle protocol 2 + zip) and the restricted reader against it.
using System.IO.Compression;
using System.Text;
using SharpLens.Analysis;
using SharpLens.Loading;
using SharpLens.Tests.Architectures;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Loading;

/// <summary>Emits the opcodes torch.save (pickle protocol 2) writes for state dicts.</summary>
sealed class PickleWriter
{
    readonly MemoryStream ms = new();
    int memo;
    public PickleWriter() { Op(0x80); Op(2); }                                             // PROTO 2
    public PickleWriter Op(byte b) { ms.WriteByte(b); return this; }
    public PickleWriter Ops(string s) { foreach (var c in s) ms.WriteByte((byte)c); return this; }
    public PickleWriter Put() { Op((byte)'q').Op((byte)(memo++ & 0xff)); return this; }     // BINPUT
    public PickleWriter Global(string module, string name) => Ops($"c{module}\n{name}\n").Put();
    public PickleWriter Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op((byte)'X'); ms.Write(BitConverter.GetBytes(b.Length)); ms.Write(b); return Put();
    }
    public PickleWriter Int(long v)
    {
        if (v is >= 0 and < 256) return Op((byte)'K').Op((byte)v);
        if (v is >= int.MinValue and <= int.MaxValue) { Op((byte)'J'); ms.Write(BitConverter.GetBytes((int)v)); return this; }
        Op(0x8a).Op(8); ms.Write(BitConverter.GetBytes(v)); return this;                    // LONG1
    }
    public PickleWriter IntTuple(long[] xs)
    {
        if (xs.Length == 0) return Op((byte)')');
        if (xs.Length <= 3) { foreach (var x in xs) Int(x); return Op((byte)(0x84 + xs.Length)); } // TUPLE1..3
        Op((byte)'('); foreach (var x in xs) Int(x); return Op((byte)'t');
    }
    public PickleWriter OrderedDict() => Global("collections", "OrderedDict").Op((byte)')').Op((byte)'R').Put();

    /// <summary>_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict()).</summary>
    public PickleWriter Tensor(string storageType, string key, long numel, long offset, long[] size, long[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Op((byte)'(');
        Op((byte)'(').Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(numel).Op((byte)'t').Put().Op((byte)'Q');
        Int(offset).IntTuple(size).IntTuple(stride).Op(0x89).OrderedDict();
        return Op((byte)'t').Put().Op((byte)'R').Put();
    }
    public byte[] Finish() { Op((byte)'.'); return ms.ToArray(); }
}

/// <summary>Writes a torch.save-layout zip: archive/data.pkl, archive/data/&lt;key&gt;, archive/version, archive/byteorder.</summary>
static class TorchZipWriter
{
    public static void Write(string path, byte[] pickle, IEnumerable<(string Key, byte[] Bytes)> storages)
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        void Add(string name, byte[] b) { using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open(); s.Write(b); }
        Add("archive/data.pkl", pickle);
        Add("archive/byteorder", Encoding.ASCII.GetBytes("little"));
        foreach (var (k, b) in storages) Add("archive/data/" + k, b);
        Add("archive/version", Encoding.ASCII.GetBytes("3\n"));
    }

    /// <summary>
    /// A state dict like torch.save(model.state_dict()) writes, except that every 2-D tensor is stored transposed
    /// (stride [1, rows]) and 1-D tensors share storages in pairs at an offset, so strides and offsets are exercised.
    /// </summary>
    public static void WriteStateDict(string path, IReadOnlyList<(string Name, Tensor T)> tensors, string? wrapper = null)
    {
        var p = new PickleWriter();
        if (wrapper != null) p.Op((byte)'}').Put().Op((byte)'(').Str("epoch").Int(3).Str(wrapper);
        p.OrderedDict().Op((byte)'(');
        var storages = new List<(string, byte[])>();
        for (int i = 0; i < tensors.Count; i++)
        {
            var (name, t) = tensors[i];
            var key = storages.Count.ToString();
            p.Str(name);
            if (t.dim() == 2)
            {
                storages.Add((key, t.t().contiguous().bytes.ToArray()));
                p.Tensor("FloatStorage", key, t.NumberOfElements, 0, t.shape, [1, t.shape[0]]);
            }
            else if (t.dim() == 1 && i + 1 < tensors.Count && tensors[i + 1].T.dim() == 1)
            {
                var next = tensors[i + 1];
                storages.Add((key, cat([t, next.T]).bytes.ToArray()));
                long n = t.NumberOfElements + next.T.NumberOfElements;
                p.Tensor("FloatStorage", key, n, 0, t.shape, [1]);
                p.Str(next.Name).Tensor("FloatStorage", key, n, t.NumberOfElements, next.T.shape, [1]);
                i++;
            }
            else
            {
                storages.Add((key, t.contiguous().bytes.ToArray()));
                p.Tensor("FloatStorage", key, t.NumberOfElements, 0, t.shape, t.dim() == 0 ? [] : [.. Enumerable.Repeat(1L, 1)]);
            }
        }
        p.Op((byte)'u');
        // state_dict()._metadata arrives as a BUILD on the OrderedDict
        p.Op((byte)'}').Put().Str("_metadata").OrderedDict().Op((byte)'s').Op((byte)'b');
        if (wrapper != null) p.Op((byte)'u');
        Write(path, p.Finish(), storages);
    }
}

public class TorchZipTests
{
    static List<(string, Tensor)> FixtureTensors(string fixture)
    {
        using var st = SafeTensorsFile.Open(Path.Combine(Fixtures.Model(fixture), "model.safetensors"));
        return st.Keys.OrderBy(k => k, StringComparer.Ordinal).Select(k => (k, st.Load(k).clone())).ToList();
    }

    [FixtureTheory]
    [InlineData("pytorch_model.bin", null)]
    [InlineData("model.bin", "model")]
    [InlineData("weights.pth", "state_dict")]
    public void Gpt2_fixture_saved_as_a_torch_zip_matches_the_reference(string file, string? wrapper)
    {
        var dir = TempFolders.Create();
        try
        {
            var src = Fixtures.Model("gpt2");
            File.Copy(Path.Combine(src, "config.json"), Path.Combine(dir, "config.json"));
            TorchZipWriter.WriteStateDict(Path.Combine(dir, file), FixtureTensors("gpt2"), wrapper);
            using (var sd = TorchZipStateDict.Open(Path.Combine(dir, file)))
            {
                Assert.Equal(wrapper is null ? [] : new[] { wrapper }, sd.Unwrapped);
                if (wrapper != null) Assert.Contains("epoch (int)", sd.Skipped);
            }
            using var model = ModelLoader.Load(dir);
            Assert.EndsWith(file, model.LoadReport!.Source);
            var result = ReferenceCheck.Run(model, Path.Combine(src, "reference.safetensors"), 1e-4);
            Assert.True(result.Ok, string.Join("\n", result.Tensors.Where(t => !t.Ok).Select(t => $"{t.Name} {t.MaxAbsDiff:g3} {t.Problem}")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Strided_offset_and_bf16_tensors_are_read_exactly()
    {
        var dir = TempFolders.Create();
        try
        {
            using var a = arange(12, dtype: ScalarType.Float32).view(3, 4);
            using var bf = tensor(new float[] { 1.5f, -2.25f, 3f }).to(ScalarType.BFloat16);
            var p = new PickleWriter().OrderedDict().Op((byte)'(');
            p.Str("a_t").Tensor("FloatStorage", "0", 12, 0, [4, 3], [1, 4]);                 // a.T, non-contiguous
            p.Str("a_row2").Tensor("FloatStorage", "0", 12, 8, [4], [1]);                    // offset view
            p.Str("nested").Op((byte)'}').Put().Op((byte)'(').Str("bf").Tensor("BFloat16Storage", "1", 3, 0, [3], [1]).Op((byte)'u');
            p.Op((byte)'u');
            var path = Path.Combine(dir, "x.pth");
            TorchZipWriter.Write(path, p.Finish(), [("0", a.bytes.ToArray()), ("1", bf.bytes.ToArray())]);
            using var sd = TorchZipStateDict.Open(path);
            Assert.Equal(new[] { "a_t", "a_row2", "nested.bf" }, sd.Keys.ToArray());
            ModelIdentities.Close(sd.Load("a_t"), a.t(), 0, "transposed");
            ModelIdentities.Close(sd.Load("a_row2"), a[2], 0, "offset row");
            Assert.Equal("BF16", sd.DTypeOf("nested.bf"));
            ModelIdentities.Close(sd.Load("nested.bf").to(ScalarType.Float32), bf.to(ScalarType.Float32), 0, "bf16");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("os", "system", "os.system")]
    [InlineData("builtins", "eval", "builtins.eval")]
    [InlineData("posix", "system", "posix.system")]
    [InlineData("torch", "load", "torch.load")]
    public void Malicious_globals_are_rejected_without_running_anything(string module, string name, string expected)
    {
        var dir = TempFolders.Create();
        try
        {
            var marker = Path.Combine(dir, "pwned");
            // the classic payload: GLOBAL module.name, ("touch marker",), REDUCE — inside an otherwise valid state dict
            var p = new PickleWriter().OrderedDict().Op((byte)'(').Str("x")
                .Global(module, name).Str(name == "eval" ? $"open('{marker}','w')" : $"touch {marker}").Op(0x85).Op((byte)'R').Op((byte)'u');
            var path = Path.Combine(dir, "pytorch_model.bin");
            TorchZipWriter.Write(path, p.Finish(), []);
            var e = Assert.Throws<CheckpointFormatException>(() => TorchZipStateDict.Open(path));
            Assert.Contains($"global '{expected}' is not allowed", e.Message);
            Assert.False(File.Exists(marker));
        }
        finally { Directory.Delete(dir, true); }
    }

    public static TheoryData<string, byte[], string> BadPickles() => new()
    {
        // REDUCE on an allowed global that is not a callable we accept
        { "reduce on a storage type", new PickleWriter().Global("torch", "FloatStorage").Int(3).Op(0x85).Op((byte)'R').Finish(), "REDUCE on torch.FloatStorage" },
        // BUILD on something other than a dict
        { "build on a list", new PickleWriter().Op((byte)']').Op((byte)'}').Op((byte)'b').Finish(), "BUILD on list" },
        // protocol-4 STACK_GLOBAL goes through the same allow-list
        { "stack_global", new PickleWriter().Str("subprocess").Str("Popen").Op(0x93).Finish(), "global 'subprocess.Popen'" },
        // NEWOBJ / INST / OBJ are never needed
        { "newobj", new PickleWriter().Global("collections", "OrderedDict").Op((byte)')').Op(0x81).Finish(), "opcode 0x81" },
        { "truncated", new PickleWriter().Str("abc").Finish()[..^3], "unexpected end" },
        { "not a dict", new PickleWriter().Int(5).Finish(), "expected a dict of tensors" },
    };

    [Theory]
    [MemberData(nameof(BadPickles))]
    public void Bad_pickles_are_rejected_clearly(string why, byte[] pickle, string expected)
    {
        var dir = TempFolders.Create();
        try
        {
            var path = Path.Combine(dir, "model.bin");
            TorchZipWriter.Write(path, pickle, []);
            var e = Assert.Throws<CheckpointFormatException>(() => TorchZipStateDict.Open(path));
            Assert.True(e.Message.Contains(expected), $"{why}: {e.Message}");
            Assert.Contains(path, e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Storage_too_small_for_the_tensor_and_legacy_files_are_rejected()
    {
        var dir = TempFolders.Create();
        try
        {
            var p = new PickleWriter().OrderedDict().Op((byte)'(').Str("w").Tensor("FloatStorage", "0", 4, 2, [3], [1]).Op((byte)'u');
            var path = Path.Combine(dir, "a.bin");
            TorchZipWriter.Write(path, p.Finish(), [("0", new byte[16])]);
            Assert.Contains("reaches element 4", Assert.Throws<CheckpointFormatException>(() => TorchZipStateDict.Open(path)).Message);
            var legacy = Path.Combine(dir, "legacy.bin");
            File.WriteAllBytes(legacy, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
            Assert.Contains("legacy format", Assert.Throws<CheckpointFormatException>(() => TorchZipStateDict.Open(legacy)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
