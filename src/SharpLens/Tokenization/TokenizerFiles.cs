// The files of a tokenizer in a model folder, and the content hash that identifies them.
using System.Security.Cryptography;

namespace SharpLens.Tokenization;

/// <summary>Tokenizer files next to a model: which names, and a hash over them.</summary>
public static class TokenizerFiles
{
    /// <summary>Tokenizer files that belong next to a model (whatever of these exists in the folder).</summary>
    public static readonly string[] Names =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "added_tokens.json"];

    /// <summary>SHA-256 over the tokenizer files of a folder (names and bytes, in a fixed order).</summary>
    public static string Hash(string dir)
    {
        using var sha = SHA256.Create();
        foreach (var name in Names)
        {
            var path = Path.Combine(dir, name);
            if (!File.Exists(path)) continue;
            var nameBytes = System.Text.Encoding.UTF8.GetBytes(name + "\n");
            sha.TransformBlock(nameBytes, 0, nameBytes.Length, null, 0);
            var bytes = File.ReadAllBytes(path);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!).ToLowerInvariant();
    }
}
