// A readable set of named checkpoint tensors (safetensors files, sharded folders, PyTorch zip state dicts).
using static TorchSharp.torch;

namespace SharpLens.Loading;

/// <summary>Named tensors with shapes known before loading.</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>Every tensor name.</summary>
    IEnumerable<string> Keys { get; }
    /// <summary>Whether a tensor is called <paramref name="key"/>.</summary>
    bool Contains(string key);
    /// <summary>The stored shape, known without loading.</summary>
    long[] Shape(string key);
    /// <summary>Stored dtype as a safetensors dtype string (F32, BF16, …).</summary>
    string DTypeOf(string key);
    /// <summary>The tensor in its stored dtype. May be a read-only view of a memory map.</summary>
    Tensor Load(string key);
}

/// <summary>Several sources presented as one (shards).</summary>
internal sealed class CompositeTensorSource : ITensorSource
{
    readonly Dictionary<string, ITensorSource> owner = new(StringComparer.Ordinal);
    readonly List<ITensorSource> sources;

    public CompositeTensorSource(IEnumerable<ITensorSource> sources, IReadOnlyDictionary<string, string>? weightMap = null, Func<ITensorSource, string>? nameOf = null)
    {
        this.sources = sources.ToList();
        foreach (var s in this.sources)
            foreach (var k in s.Keys)
            {
                if (owner.TryGetValue(k, out var prev))
                    throw new CheckpointFormatException($"tensor '{k}' appears in two shards ({nameOf?.Invoke(prev)} and {nameOf?.Invoke(s)})");
                owner[k] = s;
            }
        if (weightMap != null && nameOf != null)
            foreach (var (k, file) in weightMap)
            {
                if (!owner.TryGetValue(k, out var s))
                    throw new CheckpointFormatException($"index names tensor '{k}' in {file}, but no shard holds it");
                if (!string.Equals(System.IO.Path.GetFileName(nameOf(s)), file, StringComparison.Ordinal))
                    throw new CheckpointFormatException($"index puts '{k}' in {file}, but it is in {nameOf(s)}");
            }
    }

    public IEnumerable<string> Keys => owner.Keys;
    public bool Contains(string key) => owner.ContainsKey(key);
    public long[] Shape(string key) => Get(key).Shape(key);
    public string DTypeOf(string key) => Get(key).DTypeOf(key);
    public Tensor Load(string key) => Get(key).Load(key);
    ITensorSource Get(string key) => owner.TryGetValue(key, out var s) ? s : throw new KeyNotFoundException($"no tensor named '{key}' in any shard");
    public void Dispose() { foreach (var s in sources) s.Dispose(); }
}
