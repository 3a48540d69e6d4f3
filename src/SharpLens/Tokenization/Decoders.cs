// HF `tokenizers` decoders (ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence) on token strings.
using System.Text;
using System.Text.Json;

namespace SharpLens.Tokenization;

internal interface IDecoder
{
    List<string> DecodeChain(List<string> tokens);
}

internal static class Decoders
{
    public static IDecoder? FromJson(JsonElement e, string file)
    {
        if (e.ValueKind == JsonValueKind.Null || e.ValueKind == JsonValueKind.Undefined) return null;
        var type = Json.Type(e, "decoder", file);
        switch (type)
        {
            case "Sequence":
                var list = new List<IDecoder>();
                foreach (var d in Json.Array(e, "decoders", file)) { var x = FromJson(d, file); if (x != null) list.Add(x); }
                return new SequenceDecoder(list);
            case "ByteLevel": return new ByteLevelDecoder();
            case "Replace": return new ReplaceDecoder(Pattern.FromJson(Json.Get(e, "pattern", file), file), Json.String(e, "content", file));
            case "ByteFallback": return new ByteFallbackDecoder();
            case "Fuse": return new FuseDecoder();
            case "Strip":
                var content = Json.String(e, "content", file);
                if (content.Length != 1) throw new FormatException($"{file}: Strip decoder expects a one-char 'content', found '{content}'");
                return new StripDecoder(content[0], Json.Int(e, "start", 0), Json.Int(e, "stop", 0));
            case "Metaspace":
                var scheme = Json.OptionalString(e, "prepend_scheme") ?? (Json.Bool(e, "add_prefix_space", true) ? "always" : "never");
                return new MetaspaceDecoder((Json.OptionalString(e, "replacement") ?? "\u2581")[0], scheme != "never");
            default:
                throw new NotSupportedException($"{file}: decoder type '{type}' is not supported " +
                    "(supported: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace)");
        }
    }
}

internal sealed class SequenceDecoder(List<IDecoder> items) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        foreach (var d in items) tokens = d.DecodeChain(tokens);
        return tokens;
    }
}

internal sealed class ByteLevelDecoder : IDecoder
{
    // A token with a char outside the byte alphabet (an added token such as "<|endoftext|>" with a space) keeps its
    // own UTF-8 bytes, as HF does; the bytes of all tokens are then decoded together, invalid sequences as U+FFFD.
    public List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens)
        {
            int mark = bytes.Count;
            bool ok = true;
            foreach (var c in t)
            {
                if (ByteLevelAlphabet.TryToByte(c, out var b)) bytes.Add(b);
                else { ok = false; break; }
            }
            if (!ok) { bytes.RemoveRange(mark, bytes.Count - mark); bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(t)); }
        }
        return [Utf8.Lossy(bytes)];
    }
}

internal sealed class ReplaceDecoder(Pattern pattern, string content) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        foreach (var t in tokens)
        {
            if (pattern.Literal != null) { result.Add(pattern.Literal.Length == 0 ? t : t.Replace(pattern.Literal, content, StringComparison.Ordinal)); continue; }
            var sb = new StringBuilder(); int last = 0;
            foreach (var (s, e) in pattern.Matches(t)) { sb.Append(t, last, s - last).Append(content); last = e; }
            result.Add(sb.Append(t, last, t.Length - last).ToString());
        }
        return result;
    }
}

internal sealed class ByteFallbackDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (var t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
                byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
            {
                pending.Add(b);
                continue;
            }
            Flush(pending, result);
            result.Add(t);
        }
        Flush(pending, result);
        return result;
    }

    // HF: the whole run decodes as UTF-8, or else every byte of the run becomes one U+FFFD.
    static void Flush(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0) return;
        if (Utf8.TryStrict(pending, out var s)) result.Add(s);
        else for (int i = 0; i < pending.Count; i++) result.Add("\uFFFD");
        pending.Clear();
    }
}

internal sealed class FuseDecoder : IDecoder
{
    public List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

internal sealed class StripDecoder(char content, int start, int stop) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        foreach (var t in tokens)
        {
            int s = 0, e = t.Length;
            while (s < start && s < e && t[s] == content) s++;
            for (int i = 0; i < stop && e > s && t[e - 1] == content; i++) e--;
            result.Add(t.Substring(s, e - s));
        }
        return result;
    }
}

internal sealed class MetaspaceDecoder(char replacement, bool stripFirst) : IDecoder
{
    public List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (i == 0 && stripFirst && t.Length > 0 && t[0] == replacement) t = t[1..];
            result.Add(t.Replace(replacement, ' '));
        }
        return result;
    }
}

internal static class Utf8
{
    static readonly UTF8Encoding strict = new(false, true);

    /// <summary>Like Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes one U+FFFD.</summary>
    public static string Lossy(List<byte> bytes) => System.Text.Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));

    public static bool TryStrict(List<byte> bytes, out string s)
    {
        try { s = strict.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)); return true; }
        catch (DecoderFallbackException) { s = ""; return false; }
    }
}
