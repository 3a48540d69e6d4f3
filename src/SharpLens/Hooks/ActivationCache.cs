// Activations recorded by a cached run: detached tensors owned by the cache, released on Dispose.
using static TorchSharp.torch;

namespace SharpLens.Hooks;

/// <summary>Activations by hook name. The cache owns its tensors: dispose it to free them.</summary>
public sealed class ActivationCache : IDisposable
{
    readonly Dictionary<string, Tensor> tensors = new(StringComparer.Ordinal);

    /// <summary>The model output of the cached run ([batch, pos, d_vocab]); owned by the cache.</summary>
    public Tensor? Logits { get; internal set; }

    public IReadOnlyCollection<string> Names => tensors.Keys;
    public int Count => tensors.Count;
    public bool Contains(HookName name) => tensors.ContainsKey(name.ToString());
    public bool Contains(string name) => tensors.ContainsKey(name);

    public Tensor this[HookName name] => this[name.ToString()];
    public Tensor this[string name] => IsDisposed ? throw new ObjectDisposedException(nameof(ActivationCache), $"this ActivationCache was disposed, so '{name}' was freed; keep the cache alive (or clone the tensor) while you use it")
        : tensors.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"'{name}' is not in this cache; cached: " +
            (tensors.Count == 0 ? "(nothing)" : string.Join(", ", tensors.Keys.Take(12)) + (tensors.Count > 12 ? ", …" : "")));

    internal void Store(string name, Tensor t)
    {
        if (tensors.Remove(name, out var old)) old.Dispose();
        tensors[name] = t;
    }

    /// <summary>Takes ownership of a tensor computed outside a forward (e.g. by an analysis).</summary>
    public void Add(string name, Tensor t) => Store(name, t.DetachFromDisposeScope());

    /// <summary>True once <see cref="Dispose"/> has freed the tensors.</summary>
    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        IsDisposed = true;
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
        Logits?.Dispose();
        Logits = null;
    }
}
