// PyTorch zip checkpoints (.bin/.pth from torch.save) read through a restricted unpickler that never executes code.
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace SharpLens.Loading;

/// <summary>
/// A <c>torch.save</c> zip archive (<c>&lt;name&gt;/data.pkl</c> + <c>&lt;name&gt;/data/&lt;key&gt;</c> storages) as named tensors.
/// data.pkl is read by a restricted unpickler: the only globals it accepts are <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_parameter</c>(<c>_with_state</c>) and the
/// <c>torch.*Storage</c> types; any other global, a REDUCE on anything but those callables, or a BUILD on anything but a
/// dict is a <see cref="CheckpointFormatException"/> naming it. Nothing is imported or called.
/// <para>Flattening rule: while the root dict holds a dict under <c>state_dict</c>, <c>model_state_dict</c>,
/// <c>model</c> or <c>module</c> (first found, in that order), that dict becomes the root (training checkpoints such as
/// <c>{"epoch": 3, "model": {…}, "optimizer": {…}}</c>). Then nested dicts are flattened by joining keys with '.', as
/// nn.Module.state_dict() names them. Non-tensor leaves (numbers, strings, None, lists) and the entries beside an
/// unwrapped key are skipped and listed in <see cref="Skipped"/>.</para>
/// </summary>
internal sealed class TorchZipStateDict : ITensorSource
{
    static readonly string[] Wrappers = ["state_dict", "model_state_dict", "model", "module"];
    /// <summary>Largest data.pkl read (64 MiB; a state dict's pickle is a few MB even for billions of parameters).</summary>
    public const int MaxPickleBytes = 64 << 20;
    /// <summary>Deepest dict nesting flattened (module paths are far shallower); deeper, or a dict that contains itself, is refused.</summary>
    public const int MaxNesting = 100;
    /// <summary>Most memo entries a pickle may define.</summary>
    public const int MaxMemo = 1 << 22;
    readonly ZipArchive zip;
    readonly string prefix;
    readonly Dictionary<string, TensorRef> tensors;

    public string Path { get; }
    /// <summary>Wrapper keys that were unwrapped, outermost first (e.g. ["model"]).</summary>
    public IReadOnlyList<string> Unwrapped { get; }
    /// <summary>Non-tensor entries that were skipped, with their Python type.</summary>
    public IReadOnlyList<string> Skipped { get; }

    TorchZipStateDict(string path, ZipArchive zip, string prefix, Dictionary<string, TensorRef> tensors, List<string> unwrapped, List<string> skipped)
    {
        Path = path; this.zip = zip; this.prefix = prefix; this.tensors = tensors; Unwrapped = unwrapped; Skipped = skipped;
    }

    /// <summary>Opens and parses a torch.save zip file; tensor data is read on <see cref="Load"/>.</summary>
    public static TorchZipStateDict Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"PyTorch checkpoint not found: {path}", path);
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException)
        {
            throw new CheckpointFormatException($"{path}: not a zip archive; only the zip format of torch.save (PyTorch ≥ 1.6) is read, " +
                "not the legacy format (re-save it with a current PyTorch or convert it to safetensors)");
        }
        try
        {
            var pkls = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(ch => ch == '/') == 1).ToList();
            if (pkls.Count != 1)
                throw new CheckpointFormatException($"{path}: expected exactly one '<name>/data.pkl' in the archive, found {pkls.Count}");
            var prefix = pkls[0].FullName[..^"data.pkl".Length];
            if (zip.GetEntry(prefix + "byteorder") is { } bo)
            {
                using var r = new StreamReader(bo.Open());
                var order = r.ReadToEnd().Trim();
                if (order != "little") throw new CheckpointFormatException($"{path}: byteorder is '{order}'; only little-endian checkpoints are supported");
            }
            if (pkls[0].Length > MaxPickleBytes)
                throw new CheckpointFormatException($"{path}: {pkls[0].FullName} is {pkls[0].Length:N0} bytes; the limit is {MaxPickleBytes:N0}");
            byte[] pickle = ReadAtMost(pkls[0], MaxPickleBytes, path);
            object? root = new RestrictedUnpickler(pickle, $"{path}: {pkls[0].FullName}").Load();
            var unwrapped = new List<string>();
            var skipped = new List<string>();
            var seen = new HashSet<PyDict>(ReferenceEqualityComparer.Instance);
            while (root is PyDict d && Wrappers.Select(w => (w, v: d.Get(w))).FirstOrDefault(x => x.v is PyDict) is { w: not null } hit)
            {
                if (!seen.Add(d)) throw new CheckpointFormatException($"{path}: the dict under '{string.Join(".", unwrapped)}' contains itself (a cycle)");
                var outer = string.Concat(unwrapped.Select(u => u + "."));
                skipped.AddRange(d.Items.Where(e => !Equals(e.Key, hit.w)).Select(e => $"{outer}{e.Key} ({TypeName(e.Value)})"));
                unwrapped.Add(hit.w);
                root = hit.v;
            }
            if (root is not PyDict top) throw new CheckpointFormatException($"{path}: the pickled object is a {TypeName(root)}, expected a dict of tensors");
            var tensors = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
            Flatten(top, "", tensors, skipped, path, new HashSet<PyDict>(ReferenceEqualityComparer.Instance));
            var result = new TorchZipStateDict(path, zip, prefix, tensors, unwrapped, skipped);
            foreach (var (k, t) in tensors) result.Validate(k, t);
            long bytes = 0;   // each storage's size was checked against overflow by Validate; the sum saturates
            foreach (var st in tensors.Values.Select(t => t.Storage).DistinctBy(st => st.Key))
            {
                long b = st.NumEl * SafeTensorsFile.ElementSize(st.DType);
                bytes = bytes > long.MaxValue - b ? long.MaxValue : bytes + b;
            }
            InputLimits.RequireMemory(bytes, $"{path} ({bytes:N0} bytes of storages)");
            return result;
        }
        catch (InvalidDataException e) { zip.Dispose(); throw new CheckpointFormatException($"{path}: corrupt zip archive ({e.Message})"); }
        catch { zip.Dispose(); throw; }
    }

    /// <summary>Flattens nested dicts; <paramref name="open"/> holds the dicts on the current path, so a cycle is refused
    /// instead of recursing forever, and depth is bounded by <see cref="MaxNesting"/>.</summary>
    static void Flatten(PyDict d, string prefix, Dictionary<string, TensorRef> into, List<string> skipped, string path, HashSet<PyDict> open)
    {
        if (open.Count >= MaxNesting) throw new CheckpointFormatException($"{path}: dicts nested deeper than {MaxNesting} levels under '{prefix}'");
        if (!open.Add(d)) throw new CheckpointFormatException($"{path}: the dict under '{prefix.TrimEnd('.')}' contains itself (a cycle)");
        foreach (var (k, v) in d.Items)
        {
            var key = prefix + (k is string s ? s : k is long n ? n.ToString() : throw new CheckpointFormatException($"{path}: dict key {TypeName(k)} is not a string"));
            if (v is TensorRef t) { if (!into.TryAdd(key, t)) throw new CheckpointFormatException($"{path}: tensor '{key}' appears twice after flattening"); }
            else if (v is PyDict inner) Flatten(inner, key + ".", into, skipped, path, open);
            else skipped.Add($"{key} ({TypeName(v)})");
        }
        open.Remove(d);
    }

    static byte[] ReadAtMost(ZipArchiveEntry entry, int max, string path)
    {
        using var s = entry.Open();
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        for (int n; (n = s.Read(buffer)) > 0;)
        {
            if (ms.Length + n > max) throw new CheckpointFormatException($"{path}: {entry.FullName} decompresses to more than {max:N0} bytes");
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    void Validate(string key, TensorRef t)
    {
        if (t.Size.Length != t.Stride.Length)
            throw new CheckpointFormatException($"{Path}: tensor '{key}' has {t.Size.Length} sizes but {t.Stride.Length} strides");
        if (t.Size.Any(s => s < 0) || t.Stride.Any(s => s < 0) || t.Offset < 0)
            throw new CheckpointFormatException($"{Path}: tensor '{key}' has a negative size, stride or offset");
        long last;
        try { last = t.Size.Any(s => s == 0) ? -1 : checked(t.Offset + t.Size.Zip(t.Stride, (s, st) => checked((s - 1) * st)).Sum()); }
        catch (OverflowException) { throw new CheckpointFormatException($"{Path}: tensor '{key}' has sizes, strides and offset whose extent overflows 64 bits"); }
        if (t.Storage.NumEl < 0) throw new CheckpointFormatException($"{Path}: storage '{t.Storage.Key}' declares {t.Storage.NumEl} elements");
        if (last >= t.Storage.NumEl)
            throw new CheckpointFormatException($"{Path}: tensor '{key}' reaches element {last} of storage '{t.Storage.Key}', which holds {t.Storage.NumEl}");
        var entry = zip.GetEntry(prefix + "data/" + t.Storage.Key)
            ?? throw new CheckpointFormatException($"{Path}: storage '{t.Storage.Key}' of tensor '{key}' is not in the archive (expected {prefix}data/{t.Storage.Key})");
        int es = SafeTensorsFile.ElementSize(t.Storage.DType);
        if (t.Storage.NumEl > long.MaxValue / es) throw new CheckpointFormatException($"{Path}: storage '{t.Storage.Key}' declares {t.Storage.NumEl} elements, which overflows 64-bit byte sizes");
        long need = t.Storage.NumEl * es;
        if (entry.Length != need)
            throw new CheckpointFormatException($"{Path}: storage '{t.Storage.Key}' is {entry.Length} bytes; {t.Storage.NumEl} {t.Storage.DType} elements need {need}");
    }

    public IEnumerable<string> Keys => tensors.Keys;
    public bool Contains(string key) => tensors.ContainsKey(key);
    public long[] Shape(string key) => Ref(key).Size;
    public string DTypeOf(string key) => Ref(key).Storage.DType;
    TensorRef Ref(string key) => tensors.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"{Path}: no tensor named '{key}'");

    /// <summary>The tensor (a contiguous copy, honouring the storage offset and strides) in its stored dtype.</summary>
    public Tensor Load(string key)
    {
        var t = Ref(key);
        var entry = zip.GetEntry(prefix + "data/" + t.Storage.Key)!;
        if (entry.Length > Array.MaxLength)
            throw new CheckpointFormatException($"{Path}: storage '{t.Storage.Key}' of '{key}' is {entry.Length} bytes, over the 2 GiB a single read supports; convert the checkpoint to safetensors");
        var bytes = new byte[entry.Length];
        try { using var s = entry.Open(); s.ReadExactly(bytes); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new CheckpointFormatException($"{Path}: storage '{t.Storage.Key}' of '{key}' cannot be read from the archive ({e.Message})");
        }
        using var storage = empty(t.Storage.NumEl, SafeTensorsFile.ToScalarType(t.Storage.DType));
        if (bytes.Length > 0) storage.bytes = bytes;
        return storage.as_strided(t.Size, t.Stride, t.Offset).contiguous();
    }

    public void Dispose() => zip.Dispose();

    internal static string TypeName(object? o) => o switch
    {
        null => "None", string => "str", long => "int", double => "float", bool => "bool", byte[] => "bytes",
        PyTuple => "tuple", List<object?> => "list", PyDict => "dict", TensorRef => "tensor", StorageRef => "storage",
        PyGlobal g => g.Name, _ => o.GetType().Name,
    };

    // ---- the object model the unpickler builds (plain data only) ----
    internal sealed record PyGlobal(string Name);
    internal sealed record PyTuple(object?[] Items);
    internal sealed record StorageRef(string Key, string DType, long NumEl);
    internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);
    internal sealed class PyDict
    {
        readonly Dictionary<object, int> index = new();   // key → position in Items (a linear search made big dicts quadratic)
        public List<(object Key, object? Value)> Items { get; } = new();
        public void Set(object? k, object? v, string where)
        {
            if (k is not (string or long)) throw new CheckpointFormatException($"{where}: dict key of type {TypeName(k)} is not supported");
            if (index.TryGetValue(k, out int i)) Items[i] = (k, v);
            else { index[k] = Items.Count; Items.Add((k, v)); }
        }
        public object? Get(string k) => index.TryGetValue(k, out int i) ? Items[i].Value : null;
    }

    /// <summary>Pickle protocols 2–4, the opcodes torch.save emits for state dicts; everything else is rejected.</summary>
    sealed class RestrictedUnpickler(byte[] data, string where)
    {
        static readonly Dictionary<string, string> StorageTypes = new()
        {
            ["FloatStorage"] = "F32", ["DoubleStorage"] = "F64", ["HalfStorage"] = "F16", ["BFloat16Storage"] = "BF16",
            ["LongStorage"] = "I64", ["IntStorage"] = "I32", ["ShortStorage"] = "I16", ["CharStorage"] = "I8",
            ["ByteStorage"] = "U8", ["BoolStorage"] = "BOOL", ["UntypedStorage"] = "U8",
        };
        static readonly HashSet<string> Callables =
            ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"];

        readonly List<object?> stack = new();
        readonly Stack<int> marks = new();
        readonly Dictionary<long, object?> memo = new();
        int pos;

        public object? Load()
        {
            while (true)
            {
                byte op = U8();
                switch (op)
                {
                    case 0x80: U8(); break;                                                  // PROTO
                    case 0x95: Bytes(8); break;                                              // FRAME
                    case (byte)'.': return stack.Count == 1 ? stack[0] : throw Bad($"STOP with {stack.Count} objects on the stack");
                    case (byte)'(': marks.Push(stack.Count); break;                          // MARK
                    case (byte)'N': stack.Add(null); break;
                    case 0x88: stack.Add(true); break;
                    case 0x89: stack.Add(false); break;
                    case (byte)'J': stack.Add((long)BitConverter.ToInt32(Bytes(4))); break;  // BININT
                    case (byte)'K': stack.Add((long)U8()); break;                            // BININT1
                    case (byte)'M': stack.Add((long)BitConverter.ToUInt16(Bytes(2))); break; // BININT2
                    case 0x8a: stack.Add(Long1()); break;                                    // LONG1
                    case (byte)'G': { var b = Bytes(8); Array.Reverse(b); stack.Add(BitConverter.ToDouble(b)); break; } // BINFLOAT (big-endian)
                    case (byte)'X': stack.Add(Utf8(Len32())); break;                         // BINUNICODE
                    case 0x8c: stack.Add(Utf8(U8())); break;                                 // SHORT_BINUNICODE
                    case 0x8d: { long n = BitConverter.ToInt64(Bytes(8)); stack.Add(Utf8(n is >= 0 and <= int.MaxValue ? (int)n : throw Bad("BINUNICODE8 length out of range"))); break; } // BINUNICODE8
                    case (byte)'T': stack.Add(Encoding.Latin1.GetString(Bytes(Len32()))); break;     // BINSTRING
                    case (byte)'U': stack.Add(Encoding.Latin1.GetString(Bytes(U8()))); break;        // SHORT_BINSTRING
                    case (byte)'B': stack.Add(Bytes(Len32())); break;                        // BINBYTES
                    case (byte)'C': stack.Add(Bytes(U8())); break;                           // SHORT_BINBYTES
                    case (byte)')': stack.Add(new PyTuple([])); break;
                    case 0x85: stack.Add(new PyTuple(PopN(1))); break;
                    case 0x86: stack.Add(new PyTuple(PopN(2))); break;
                    case 0x87: stack.Add(new PyTuple(PopN(3))); break;
                    case (byte)'t': stack.Add(new PyTuple(PopMark())); break;
                    case (byte)']': stack.Add(new List<object?>()); break;
                    case (byte)'l': stack.Add(PopMark().ToList()); break;                    // LIST
                    case (byte)'a': { var v = Pop(); AsList(Peek()).Add(v); break; }         // APPEND
                    case (byte)'e': { var items = PopMark(); AsList(Peek()).AddRange(items); break; } // APPENDS
                    case (byte)'}': stack.Add(new PyDict()); break;
                    case (byte)'d': { var items = PopMark(); var d = new PyDict(); SetItems(d, items); stack.Add(d); break; } // DICT
                    case (byte)'s': { var v = Pop(); var k = Pop(); AsDict(Peek()).Set(k, v, where); break; }
                    case (byte)'u': { var items = PopMark(); SetItems(AsDict(Peek()), items); break; }
                    case (byte)'q': Put(U8()); break;                                        // BINPUT
                    case (byte)'r': Put(BitConverter.ToUInt32(Bytes(4))); break;             // LONG_BINPUT
                    case 0x94: Put(memo.Count); break;                                       // MEMOIZE
                    case (byte)'h': stack.Add(Memo(U8())); break;                            // BINGET
                    case (byte)'j': stack.Add(Memo(BitConverter.ToUInt32(Bytes(4)))); break; // LONG_BINGET
                    case (byte)'c': stack.Add(Global(Line(), Line())); break;                // GLOBAL
                    case 0x93: { var name = Pop(); var module = Pop(); stack.Add(Global(AsString(module), AsString(name))); break; } // STACK_GLOBAL
                    case (byte)'Q': stack.Add(PersistentLoad(Pop())); break;                 // BINPERSID
                    case (byte)'R': { var args = Pop(); var f = Pop(); stack.Add(Reduce(f, args)); break; }
                    case (byte)'b': { var state = Pop(); Build(Peek(), state); break; }
                    default: throw Bad($"pickle opcode 0x{op:x2} ('{(op >= 32 && op < 127 ? (char)op : '?')}') is not allowed in a state dict");
                }
            }
        }

        object Global(string module, string name)
        {
            var full = module + "." + name;
            if (Callables.Contains(full)) return new PyGlobal(full);
            if ((module == "torch" || module == "torch.storage") && StorageTypes.ContainsKey(name)) return new PyGlobal("torch." + name);
            throw Bad($"global '{full}' is not allowed: only tensors, storages and OrderedDict are read from a state dict, nothing is executed");
        }

        object? Reduce(object? f, object? args)
        {
            if (f is not PyGlobal g || !Callables.Contains(g.Name))
                throw Bad($"REDUCE on {TypeName(f)} is not allowed (only OrderedDict and torch tensor/parameter rebuilds)");
            var a = (args as PyTuple ?? throw Bad($"REDUCE arguments for {g.Name} are a {TypeName(args)}, expected a tuple")).Items;
            switch (g.Name)
            {
                case "collections.OrderedDict":
                    if (a.Length != 0) throw Bad("OrderedDict(...) with arguments is not supported");
                    return new PyDict();
                case "torch._utils._rebuild_tensor_v2":
                    if (a.Length < 4 || a[0] is not StorageRef st || a[1] is not long off)
                        throw Bad("_rebuild_tensor_v2 expects (storage, storage_offset, size, stride, …)");
                    return new TensorRef(st, off, Ints(a[2], "size"), Ints(a[3], "stride"));
                default:                                                                     // _rebuild_parameter(_with_state)
                    return a.Length >= 1 && a[0] is TensorRef t ? t : throw Bad($"{g.Name} expects a tensor as its first argument");
            }
        }

        void Build(object? target, object? state)
        {
            // OrderedDict state (e.g. state_dict()._metadata) is attributes we do not need; anything else is refused.
            if (target is PyDict && state is PyDict or PyTuple or null) return;
            throw Bad($"BUILD on {TypeName(target)} is not allowed");
        }

        object PersistentLoad(object? pid)
        {
            if (pid is not PyTuple { Items: [string tag, PyGlobal type, var key, string, long numel, ..] } || tag != "storage")
                throw Bad($"persistent id {TypeName(pid)} is not ('storage', type, key, location, numel)");
            var name = type.Name["torch.".Length..];
            if (!StorageTypes.TryGetValue(name, out var dtype)) throw Bad($"persistent id names {type.Name}, which is not a storage type");
            var k = key as string ?? (key is long n ? n.ToString() : throw Bad("storage key is not a string"));
            if (k.Contains('/') || k.Contains('\\') || k.Contains("..")) throw Bad($"storage key '{k}' is not a plain name");
            return new StorageRef(k, dtype, numel);
        }

        long[] Ints(object? o, string what) => o is PyTuple t && t.Items.All(i => i is long)
            ? t.Items.Select(i => (long)i!).ToArray() : throw Bad($"tensor {what} is a {TypeName(o)}, expected a tuple of ints");

        void SetItems(PyDict d, object?[] items)
        {
            if (items.Length % 2 != 0) throw Bad("SETITEMS with an odd number of items");
            for (int i = 0; i < items.Length; i += 2) d.Set(items[i], items[i + 1], where);
        }

        void Put(long i)
        {
            if (memo.Count >= MaxMemo && !memo.ContainsKey(i)) throw Bad($"more than {MaxMemo:N0} memo entries");
            memo[i] = Peek();
        }

        CheckpointFormatException Bad(string what) => new($"{where}: {what} (at byte {pos})");
        byte U8() => pos < data.Length ? data[pos++] : throw Bad("unexpected end of pickle data");
        byte[] Bytes(int n)
        {
            if (n < 0 || (long)pos + n > data.Length) throw Bad("unexpected end of pickle data");
            var b = data.AsSpan(pos, n).ToArray(); pos += n; return b;
        }
        int Len32() { int n = BitConverter.ToInt32(Bytes(4)); return n >= 0 ? n : throw Bad("negative length"); }
        string Utf8(int n) => Encoding.UTF8.GetString(Bytes(n));
        string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0) throw Bad("unterminated GLOBAL name");
            var s = Encoding.ASCII.GetString(data, pos, end - pos); pos = end + 1; return s;
        }
        long Long1()
        {
            var b = Bytes(U8());
            if (b.Length > 8) throw Bad("integer wider than 64 bits");
            long v = 0;
            for (int i = b.Length - 1; i >= 0; i--) v = (v << 8) | b[i];
            if (b.Length is > 0 and < 8 && (b[^1] & 0x80) != 0) v -= 1L << (8 * b.Length);      // two's complement sign
            return v;
        }
        object? Pop()
        {
            if (stack.Count == 0 || (marks.Count > 0 && marks.Peek() >= stack.Count)) throw Bad("stack underflow");
            var v = stack[^1]; stack.RemoveAt(stack.Count - 1); return v;
        }
        object? Peek() => stack.Count > 0 ? stack[^1] : throw Bad("stack underflow");
        object?[] PopN(int n)
        {
            if (stack.Count - n < (marks.Count > 0 ? marks.Peek() : 0)) throw Bad("stack underflow");
            var items = stack.GetRange(stack.Count - n, n).ToArray(); stack.RemoveRange(stack.Count - n, n); return items;
        }
        object?[] PopMark()
        {
            if (marks.Count == 0) throw Bad("no MARK on the stack");
            int m = marks.Pop();
            var items = stack.GetRange(m, stack.Count - m).ToArray();
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }
        object? Memo(long i) => memo.TryGetValue(i, out var v) ? v : throw Bad($"memo entry {i} is not defined");
        static string AsString(object? o) => o as string ?? throw new CheckpointFormatException($"STACK_GLOBAL name is a {TypeName(o)}");
        List<object?> AsList(object? o) => o as List<object?> ?? throw Bad($"APPEND to a {TypeName(o)}");
        PyDict AsDict(object? o) => o as PyDict ?? throw Bad($"SETITEM on a {TypeName(o)}");
    }
}
