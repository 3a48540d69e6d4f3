// Scoped hook registration and the HookPoint each forward pass calls at every named site.
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Hooks;

/// <summary>
/// A hook function: reads an activation and optionally returns a replacement (same shape; converted to the activation's
/// dtype and device). Return null to leave it.
/// </summary>
/// <remarks>
/// Lifetime: <paramref name="activation"/> belongs to the forward pass and is valid only during the call. It is owned by
/// the pass's dispose scope (each block runs in its own, see <c>Nn.LayerScope</c>) and is freed when that scope ends,
/// usually before the pass returns. Never dispose it. To keep it, take your own handle and take it out of the scope:
/// <c>activation.detach().DetachFromDisposeScope()</c> (shares storage; <c>clone()</c> first to copy), or
/// <see cref="ActivationCache.Add"/> it, which does that. A replacement you return is owned by the pass like the activation.
/// </remarks>
public delegate Tensor? HookFn(Tensor activation, HookName name);

/// <summary>The live hooks of one model. Registrations are scoped: dispose the returned handle to remove them.</summary>
public sealed class HookRegistry
{
    readonly Dictionary<string, List<Registration>> byName = new(StringComparer.Ordinal);
    readonly Func<string, bool> isValid;
    readonly Func<IEnumerable<string>> validNames;

    internal HookRegistry(Func<string, bool> isValid, Func<IEnumerable<string>> validNames)
    {
        this.isValid = isValid;
        this.validNames = validNames;
    }

    /// <summary>Number of live registrations (for tests: it must drop back to zero).</summary>
    public int Count => byName.Values.Sum(l => l.Count);

    /// <summary>Adds a hook at a name this model fires; throws listing the nearest valid names otherwise.</summary>
    public IDisposable Add(HookName name, HookFn fn) => Add(name.ToString(), fn);

    /// <summary>Adds a hook by its string name.</summary>
    public IDisposable Add(string name, HookFn fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        Validate(name);
        var reg = new Registration(this, name, fn);
        if (!byName.TryGetValue(name, out var list)) byName[name] = list = new List<Registration>();
        list.Add(reg);
        return reg;
    }

    /// <summary>Adds several hooks as one scope.</summary>
    public IDisposable AddAll(IEnumerable<(HookName Name, HookFn Fn)> hooks)
    {
        var scope = new CompositeDisposable();
        try { foreach (var (n, f) in hooks) scope.Items.Add(Add(n, f)); }
        catch { scope.Dispose(); throw; }
        return scope;
    }

    /// <summary>Throws <see cref="UnknownHookException"/> when the model has no such hook.</summary>
    public void Validate(string name)
    {
        if (!isValid(name)) throw UnknownHookException.Create(name, validNames());
    }

    internal bool IsActive(string name) => byName.TryGetValue(name, out var l) && l.Count > 0;

    internal Tensor Fire(string name, HookName typed, Tensor x)
    {
        var list = byName[name];
        // copy: a hook may dispose its own registration while firing
        foreach (var reg in list.ToArray())
        {
            var replacement = reg.Fn(x, typed);
            if (replacement is null || ReferenceEquals(replacement, x)) continue;
            if (!replacement.shape.SequenceEqual(x.shape))
                throw new InvalidOperationException(
                    $"hook at {name} returned shape [{string.Join(",", replacement.shape)}]; expected [{string.Join(",", x.shape)}]");
            x = replacement.dtype == x.dtype && replacement.device == x.device ? replacement : replacement.to(x.dtype, x.device);
        }
        return x;
    }

    void Remove(Registration reg)
    {
        if (byName.TryGetValue(reg.Name, out var list)) list.Remove(reg);
    }

    sealed class Registration(HookRegistry owner, string name, HookFn fn) : IDisposable
    {
        public string Name { get; } = name;
        public HookFn Fn { get; } = fn;
        bool disposed;
        public void Dispose() { if (!disposed) { disposed = true; owner.Remove(this); } }
    }

    sealed class CompositeDisposable : IDisposable
    {
        public List<IDisposable> Items { get; } = new();
        public void Dispose() { for (int i = Items.Count - 1; i >= 0; i--) Items[i].Dispose(); Items.Clear(); }
    }
}

/// <summary>
/// One named site in a forward pass. <see cref="Run"/> returns its input untouched when nothing listens.
/// </summary>
public sealed class HookPoint
{
    readonly HookRegistry registry;
    readonly string key;

    internal HookPoint(HookRegistry registry, HookName name)
    {
        this.registry = registry;
        Name = name;
        key = name.ToString();
    }

    /// <summary>The site's name.</summary>
    public HookName Name { get; }

    /// <summary>Whether any hook listens here (lets expensive sites be computed only when asked for).</summary>
    public bool IsActive => registry.IsActive(key);

    /// <summary>Fires the hooks registered at this site and returns the (possibly replaced) activation.</summary>
    public Tensor Run(Tensor x) => registry.IsActive(key) ? registry.Fire(key, Name, x) : x;
}

/// <summary>An unknown hook name, with the nearest valid names in the message.</summary>
public sealed class UnknownHookException : ArgumentException
{
    UnknownHookException(string message) : base(message) { }

    internal static UnknownHookException Create(string name, IEnumerable<string> valid)
    {
        var nearest = valid.Select(v => (v, d: Levenshtein(name, v))).OrderBy(t => t.d).ThenBy(t => t.v, StringComparer.Ordinal)
            .Take(3).Select(t => t.v).ToList();
        var hint = nearest.Count == 0 ? "" : "; did you mean " + string.Join(" or ", nearest) + "?";
        return new UnknownHookException($"unknown hook '{name}'{hint}");
    }

    static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
