// The folder dependency graph of the SharpLens assembly, read from its compiled metadata and IL (namespaces mirror folders).
using System.Reflection;
using System.Reflection.Emit;

namespace SharpLens.Tests.Support;

/// <summary>
/// Which folder of <c>src/SharpLens</c> uses which: an edge A → B when a type of folder A names a type of folder B in its
/// base types, members' signatures or method bodies. Folders are the top-level ones, with <c>Analysis/*</c> and
/// <c>Architectures/*</c> split into their subfolders (a type in <c>Analysis</c> itself is the node <c>Analysis</c>).
/// </summary>
public sealed class FolderGraph
{
    const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
    static readonly Dictionary<short, OpCode> OneByte = new(), TwoByte = new();

    static FolderGraph()
    {
        foreach (var f in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)f.GetValue(null)!;
            if (op.Size == 1) OneByte[op.Value] = op; else TwoByte[(short)(op.Value & 0xff)] = op;
        }
    }

    /// <summary>Folder → folder → the types of the target folder named (for messages).</summary>
    public IReadOnlyDictionary<string, SortedDictionary<string, SortedSet<string>>> Edges { get; }

    /// <summary>Member references from a folder: folder → "Type.Member" names it calls or reads, of any assembly.</summary>
    public IReadOnlyDictionary<string, SortedSet<string>> Calls { get; }

    FolderGraph(Dictionary<string, SortedDictionary<string, SortedSet<string>>> edges, Dictionary<string, SortedSet<string>> calls)
    {
        Edges = edges;
        Calls = calls;
    }

    /// <summary>The node of a SharpLens type, or null for types of other assemblies.</summary>
    public static string? Node(Type t, Assembly lib, bool split = true)
    {
        while (t.IsNested) t = t.DeclaringType!;
        if (t.Assembly != lib || t.Namespace is null || !t.Namespace.StartsWith("SharpLens", StringComparison.Ordinal)) return null;
        var parts = t.Namespace.Split('.').Skip(1).ToArray();
        if (parts.Length == 0) return "(root)";
        if (split && parts[0] is "Analysis" or "Architectures" && parts.Length > 1) return parts[0] + "/" + parts[1];
        return parts[0];
    }

    /// <summary>
    /// Reads the graph of the assembly that holds <paramref name="anchor"/>; with <paramref name="split"/> false,
    /// <c>Analysis/*</c> and <c>Architectures/*</c> are one node each.
    /// </summary>
    public static FolderGraph Of(Type anchor, bool split = true)
    {
        var lib = anchor.Assembly;
        var edges = new Dictionary<string, SortedDictionary<string, SortedSet<string>>>();
        var calls = new Dictionary<string, SortedSet<string>>();
        foreach (var type in lib.GetTypes())
        {
            var from = Node(type, lib, split);
            if (from is null) continue;
            if (!edges.ContainsKey(from)) edges[from] = new(StringComparer.Ordinal);
            if (!calls.ContainsKey(from)) calls[from] = new(StringComparer.Ordinal);
            void Use(Type? t)
            {
                if (t is null) return;
                if (t.HasElementType) { Use(t.GetElementType()); return; }
                if (t.IsGenericType && !t.IsGenericTypeDefinition) foreach (var a in t.GetGenericArguments()) Use(a);
                if (t.IsGenericParameter) return;
                var to = Node(t, lib, split);
                if (to is null || to == from) return;
                if (!edges[from].TryGetValue(to, out var names)) edges[from][to] = names = new(StringComparer.Ordinal);
                var outer = t; while (outer.IsNested) outer = outer.DeclaringType!;
                names.Add(outer.IsGenericType ? outer.Name[..outer.Name.IndexOf('`')] : outer.Name);
            }
            Use(type.BaseType);
            foreach (var i in type.GetInterfaces()) Use(i);
            foreach (var f in type.GetFields(All)) Use(f.FieldType);
            foreach (var p in type.GetProperties(All)) Use(p.PropertyType);
            foreach (var e in type.GetEvents(All)) Use(e.EventHandlerType);
            var methods = type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All));
            foreach (var m in methods)
            {
                if (m is MethodInfo mi) Use(mi.ReturnType);
                foreach (var p in m.GetParameters()) Use(p.ParameterType);
                MethodBody? body;
                try { body = m.GetMethodBody(); } catch (Exception) { continue; }
                if (body is null) continue;
                foreach (var l in body.LocalVariables) Use(l.LocalType);
                foreach (var member in Tokens(m, body.GetILAsByteArray()!))
                {
                    switch (member)
                    {
                        case Type t: Use(t); break;
                        case MethodBase mb:
                            Use(mb.DeclaringType);
                            if (mb is MethodInfo r) Use(r.ReturnType);
                            if (mb.IsGenericMethod) foreach (var a in mb.GetGenericArguments()) Use(a);
                            calls[from].Add($"{mb.DeclaringType?.FullName}.{mb.Name}");
                            break;
                        case FieldInfo fi: Use(fi.DeclaringType); Use(fi.FieldType); break;
                    }
                }
            }
        }
        return new FolderGraph(edges, calls);
    }

    static IEnumerable<MemberInfo> Tokens(MethodBase m, byte[] il)
    {
        var module = m.Module;
        var typeArgs = m.DeclaringType is { IsGenericType: true } dt ? dt.GetGenericArguments() : null;
        var methodArgs = m.IsGenericMethod ? m.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            OpCode op = il[i] == 0xFE ? TwoByte[il[i + 1]] : OneByte[il[i]];
            i += op.Size;
            int size = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
            {
                MemberInfo? member = null;
                try { member = module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs); }
                catch (Exception) { }
                if (member is not null) yield return member;
            }
            i += size;
        }
    }

    /// <summary>The strongly connected components with more than one node (each a dependency cycle).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var index = new Dictionary<string, int>(); var low = new Dictionary<string, int>();
        var stack = new Stack<string>(); var on = new HashSet<string>(); var result = new List<IReadOnlyList<string>>();
        int counter = 0;
        void Visit(string v)
        {
            index[v] = low[v] = counter++; stack.Push(v); on.Add(v);
            foreach (var w in Edges.TryGetValue(v, out var e) ? e.Keys.ToList() : [])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (on.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var comp = new List<string>();
            string x;
            do { x = stack.Pop(); on.Remove(x); comp.Add(x); } while (x != v);
            if (comp.Count > 1) result.Add(comp.Order(StringComparer.Ordinal).ToList());
        }
        foreach (var v in Edges.Keys.Concat(Edges.Values.SelectMany(e => e.Keys)).Distinct().Order(StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }

    /// <summary>The edges inside one cycle, with the types named, for a failure message.</summary>
    public string Explain(IReadOnlyList<string> cycle) => string.Join("\n", cycle.SelectMany(a => cycle
        .Where(b => Edges.TryGetValue(a, out var e) && e.ContainsKey(b))
        .Select(b => $"  {a} → {b}: {string.Join(", ", Edges[a][b].Take(8))}")));

    /// <summary>One line per folder: <c>folder → used folders</c>.</summary>
    public IReadOnlyList<string> Lines() => Edges.OrderBy(e => e.Key, StringComparer.Ordinal)
        .Select(e => $"{e.Key} → {(e.Value.Count == 0 ? "(nothing)" : string.Join(", ", e.Value.Keys))}").ToList();
}
