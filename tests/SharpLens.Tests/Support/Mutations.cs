// Mutations for the fuzz tests: byte-level edits of a valid file and value-level edits of a valid JSON document (drawn with a fixed seed).
using System.Text.Json.Nodes;

namespace SharpLens.Tests.Support;

/// <summary>One byte-level edit: set a byte, insert a run, delete a range, duplicate a range or truncate.</summary>
public readonly record struct ByteEdit(int Kind, uint Where, byte Value, int Length);

/// <summary>One JSON edit: replace the value at a node (chosen by <c>Where</c> over all nodes) with a hostile value, or remove it.</summary>
public readonly record struct JsonEdit(uint Where, int Value);

public static class Mutations
{
    /// <summary>1–4 byte edits drawn with <paramref name="rng"/>.</summary>
    public static ByteEdit[] ByteEdits(Random rng) => [.. Enumerable.Range(0, rng.Next(1, 5))
        .Select(_ => new ByteEdit(rng.Next(0, 5), (uint)rng.NextInt64(0, 1L << 32), (byte)rng.Next(256), rng.Next(1, 65)))];

    /// <summary>1–3 JSON edits drawn with <paramref name="rng"/>.</summary>
    public static JsonEdit[] JsonEdits(Random rng) => [.. Enumerable.Range(0, rng.Next(1, 4))
        .Select(_ => new JsonEdit((uint)rng.NextInt64(0, 1L << 32), rng.Next(0, HostileCount + 1)))];

    /// <summary>
    /// Runs <paramref name="check"/> on <paramref name="iter"/> inputs drawn from <paramref name="gen"/> with a fixed
    /// <paramref name="seed"/>: every run sees the same inputs, and a failure names its input (via the check's message).
    /// </summary>
    public static void Sample<T>(Func<Random, T> gen, Action<T> check, int iter, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < iter; i++) check(gen(rng));
    }

    /// <summary>Applies the edits to a copy, each at a position taken modulo the current length.</summary>
    public static byte[] Apply(byte[] data, ByteEdit[] edits)
    {
        var b = new List<byte>(data);
        foreach (var e in edits)
        {
            if (b.Count == 0) break;
            int at = (int)(e.Where % (uint)b.Count), len = Math.Min(e.Length, b.Count - at);
            switch (e.Kind)
            {
                case 0: b[at] = e.Value; break;
                case 1: b.InsertRange(at, Enumerable.Repeat(e.Value, e.Length)); break;
                case 2: b.RemoveRange(at, len); break;
                case 3: b.InsertRange(at, b.GetRange(at, len)); break;
                default: b.RemoveRange(at, b.Count - at); break;
            }
        }
        return [.. b];
    }

    const int HostileCount = 15;

    /// <summary>Values a hostile or broken file holds where a size, id or name is expected; index HostileCount removes the node.</summary>
    static JsonNode? Hostile(int i) => i switch
    {
        0 => -1, 1 => 0, 2 => int.MaxValue, 3 => int.MinValue, 4 => long.MaxValue, 5 => 1e300, 6 => 0.5, 7 => "x", 8 => "",
        9 => null, 10 => true, 11 => new JsonArray(), 12 => new JsonObject(), 13 => new JsonArray(-1, long.MaxValue), 14 => 1 << 30,
        _ => throw new ArgumentOutOfRangeException(nameof(i)),
    };

    /// <summary>Applies the edits to a parsed copy of <paramref name="json"/> and returns the new text.</summary>
    public static string Apply(string json, JsonEdit[] edits)
    {
        var root = JsonNode.Parse(json)!;
        foreach (var e in edits)
        {
            var slots = new List<(JsonNode Parent, string? Key, int Index)>();
            Collect(root, slots);
            if (slots.Count == 0) break;
            var (parent, key, index) = slots[(int)(e.Where % (uint)slots.Count)];
            if (e.Value == HostileCount)
            {
                if (parent is JsonObject o) o.Remove(key!); else ((JsonArray)parent).RemoveAt(index);
            }
            else if (parent is JsonObject o) o[key!] = Hostile(e.Value);
            else ((JsonArray)parent)[index] = Hostile(e.Value);
        }
        return root.ToJsonString();
    }

    static void Collect(JsonNode node, List<(JsonNode, string?, int)> slots)
    {
        if (node is JsonObject o)
            foreach (var (k, v) in o.ToList()) { slots.Add((o, k, -1)); if (v is not null) Collect(v, slots); }
        else if (node is JsonArray a)
            for (int i = 0; i < a.Count; i++) { slots.Add((a, null, i)); if (a[i] is { } v) Collect(v, slots); }
    }

    /// <summary>Runs <paramref name="action"/>; an exception of another type than <paramref name="allowed"/> fails the test with
    /// the input's description, and so does allocating more than <paramref name="maxManagedBytes"/> on this thread.</summary>
    public static void OnlyDocumented(Action action, Type[] allowed, string input, long maxManagedBytes = 256L << 20)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try { action(); }
        catch (Exception e) when (!allowed.Any(t => t.IsInstanceOfType(e)))
        {
            throw new Xunit.Sdk.XunitException($"undocumented {e.GetType().Name} for {input}: {e.Message}\n{e.StackTrace}");
        }
        catch (Exception) { }
        long used = GC.GetAllocatedBytesForCurrentThread() - before;
        if (used > maxManagedBytes) throw new Xunit.Sdk.XunitException($"{used:N0} bytes allocated for {input} (bound {maxManagedBytes:N0})");
    }
}
