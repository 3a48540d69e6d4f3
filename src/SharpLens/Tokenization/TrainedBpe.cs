// The result of BpeTrainer: vocab and merges, written as HF tokenizer.json + tokenizer_config.json + special_tokens_map.json.
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpLens.Tokenization;

/// <summary>A trained byte-level BPE vocabulary (ids are list positions) and its merges in rank order.</summary>
public sealed class TrainedBpe
{
    internal TrainedBpe(List<string> tokens, List<(string Left, string Right)> merges, IReadOnlyList<string> specialTokens, int? maxParenRun)
    {
        Tokens = tokens; Merges = merges; SpecialTokens = specialTokens; MaxParenRun = maxParenRun;
    }

    /// <summary>The paren-run split of the pre-tokenizer (null: none).</summary>
    public int? MaxParenRun { get; }

    public IReadOnlyList<string> Tokens { get; }
    public IReadOnlyList<(string Left, string Right)> Merges { get; }
    public IReadOnlyList<string> SpecialTokens { get; }

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    IEnumerable<JsonNode> PreTokenizerSteps()
    {
        if (MaxParenRun is int max)
            yield return new JsonObject
            {
                ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = BpeTrainer.ParenRunPattern(max) }, ["behavior"] = "Isolated", ["invert"] = false,
            };
    }

    /// <summary>Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into <paramref name="dir"/>.</summary>
    public void Save(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        Directory.CreateDirectory(dir);
        var vocab = new JsonObject();
        for (int i = 0; i < Tokens.Count; i++) if (!vocab.ContainsKey(Tokens[i])) vocab[Tokens[i]] = i;
        var merges = new JsonArray();
        // "left right" strings (readable by every tokenizers version): byte-level tokens never contain a space.
        foreach (var (l, r) in Merges) merges.Add(l + " " + r);
        var added = new JsonArray();
        for (int i = 0; i < SpecialTokens.Count; i++)
            added.Add(new JsonObject
            {
                ["id"] = i, ["content"] = SpecialTokens[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray([.. PreTokenizerSteps(), new JsonObject { ["type"] = "Digits", ["individual_digits"] = true }, byteLevel.DeepClone()]),
            },
            ["post_processor"] = null,
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), root.ToJsonString(Indented));
        var bos = SpecialTokens.Count > 0 ? SpecialTokens[0] : null;
        var pad = SpecialTokens.Count > 1 ? SpecialTokens[1] : bos;
        var mask = SpecialTokens.Count > 2 ? SpecialTokens[2] : null;
        var map = new JsonObject { ["bos_token"] = bos, ["eos_token"] = bos, ["pad_token"] = pad };
        if (mask != null) map["mask_token"] = mask;
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), map.ToJsonString(Indented));
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = bos, ["eos_token"] = bos, ["pad_token"] = pad,
            ["add_bos_token"] = false, ["add_eos_token"] = false,
            ["clean_up_tokenization_spaces"] = false,
            ["mask_token"] = mask,
            ["model_max_length"] = 1_000_000_000,
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString(Indented));
    }
}
