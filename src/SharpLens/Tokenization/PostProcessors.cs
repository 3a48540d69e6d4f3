// HF post-processors for a single sequence with add_special_tokens: TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel.
using System.Text.Json;

namespace SharpLens.Tokenization;

/// <summary>Special ids around a single sequence; special tokens get the empty offset (0, 0), as in HF.</summary>
internal sealed record SingleTemplate(IReadOnlyList<int> Before, IReadOnlyList<int> After)
{
    public static readonly SingleTemplate None = new(Array.Empty<int>(), Array.Empty<int>());

    public static SingleTemplate? FromJson(JsonElement e, string file)
    {
        if (e.ValueKind == JsonValueKind.Null || e.ValueKind == JsonValueKind.Undefined) return null;
        var type = Json.Type(e, "post_processor", file);
        switch (type)
        {
            case "ByteLevel": return None;
            case "RobertaProcessing":
            case "BertProcessing":
                return new SingleTemplate([SpecialId(Json.Get(e, "cls", file), file)], [SpecialId(Json.Get(e, "sep", file), file)]);
            case "TemplateProcessing":
                var specials = new Dictionary<string, int[]>();
                if (Json.Optional(e, "special_tokens") is { ValueKind: JsonValueKind.Object } st)
                    foreach (var p in st.EnumerateObject())
                        specials[p.Name] = Json.Array(p.Value, "ids", file).Select(x => x.GetInt32()).ToArray();
                var before = new List<int>(); var after = new List<int>();
                bool seenA = false;
                foreach (var item in Json.Array(e, "single", file))
                {
                    if (item.TryGetProperty("Sequence", out _)) { seenA = true; continue; }
                    if (!item.TryGetProperty("SpecialToken", out var sp))
                        throw new FormatException($"{file}: TemplateProcessing item must be Sequence or SpecialToken, found {Json.Short(item)}");
                    var name = Json.String(sp, "id", file);
                    if (!specials.TryGetValue(name, out var ids))
                        throw new FormatException($"{file}: TemplateProcessing uses special token '{name}', which is not in its special_tokens");
                    (seenA ? after : before).AddRange(ids);
                }
                return new SingleTemplate(before, after);
            case "Sequence":
                var b = new List<int>(); var a = new List<int>();
                foreach (var p in Json.Array(e, "processors", file))
                    if (FromJson(p, file) is { } t) { b.InsertRange(0, t.Before); a.AddRange(t.After); }
                return new SingleTemplate(b, a);
            default:
                throw new NotSupportedException($"{file}: post_processor type '{type}' is not supported " +
                    "(supported: TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence)");
        }
    }

    static int SpecialId(JsonElement pair, string file)
    {
        if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || !pair[1].TryGetInt32(out var id))
            throw new FormatException($"{file}: expected a [token, id] pair, found {Json.Short(pair)}");
        return id;
    }
}
