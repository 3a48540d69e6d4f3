// Activations recorded by a cached run: detached tensors owned by the cache (its own handles), released on Dispose.
using static TorchSharp.torch;

namespace SharpLens.Hooks;

/// <summary>
/// Activations by hook name. The cache owns its tensors: each is its own handle, outside every dispose scope, so the
/// forward pass's scopes (or any scope of yours) ending leave it readable; dispose the cache to free them. Do not dispose
/// a tensor you read from it (clone it to keep a copy): a tensor disposed that way is refused with a clear error.
/// </summary>
public sealed class ActivationCache : IDisposable
{
    readonly Dictionary<string, Tensor> tensors = new(StringComparer.Ordinal);
    Tensor? logits;

    /// <summary>The model output of the cached run ([batch, pos, d_vocab]), null when the run stopped at a hook; owned by the cache.</summary>
    public Tensor? Logits
    {
        get => logits is { IsInvalid: true } ? throw Freed("logits") : logits;
        internal set => logits = value;
    }

    /// <summary>The hook names cached.</summary>
    public IReadOnlyCollection<string> Names => tensors.Keys;
    /// <summary>Number of cached activations.</summary>
    public int Count => tensors.Count;
    /// <summary>Whether <paramref name="name"/> is cached.</summary>
    public bool Contains(HookName name) => tensors.ContainsKey(name.ToString());
    /// <summary>Whether the string name is cached.</summary>
    public bool Contains(string name) => tensors.ContainsKey(name);

    /// <summary>The activation at <paramref name="name"/>, owned by the cache (clone it to keep or change it).</summary>
    public Tensor this[HookName name] => this[name.ToString()];
    /// <summary>The activation at a string name, owned by the cache; throws naming what is cached when absent.</summary>
    public Tensor this[string name] => IsDisposed ? throw new ObjectDisposedException(nameof(ActivationCache), $"this ActivationCache was disposed, so '{name}' was freed; keep the cache alive (or clone the tensor) while you use it")
        : tensors.TryGetValue(name, out var t) ? (t.IsInvalid ? throw Freed(name) : t)
        : throw new KeyNotFoundException($"'{name}' is not in this cache; cached: " +
            (tensors.Count == 0 ? "(nothing)" : string.Join(", ", tensors.Keys.Take(12)) + (tensors.Count > 12 ? ", …" : "")));

    internal void Store(string name, Tensor t)
    {
        if (tensors.Remove(name, out var old)) old.Dispose();
        tensors[name] = t;
    }

    /// <summary>
    /// Keeps <paramref name="t"/> (e.g. an activation inside a hook, or a tensor an analysis computed) under its own handle:
    /// it shares storage with <paramref name="t"/> but stays readable when <paramref name="t"/> is disposed or its scope ends.
    /// </summary>
    public void Add(string name, Tensor t)
    {
        ObjectDisposedException.ThrowIf(t.IsInvalid, t);
        Store(name, t.detach().DetachFromDisposeScope());
    }

    static ObjectDisposedException Freed(string name) => new(nameof(ActivationCache),
        $"'{name}' in this ActivationCache was disposed by a caller; the cache owns its tensors: clone one to keep or change it, never dispose it");

    /// <summary>True once <see cref="Dispose"/> has freed the tensors.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Frees every cached tensor and the logits.</summary>
    public void Dispose()
    {
        IsDisposed = true;
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
        logits?.Dispose();
        logits = null;
    }
}
