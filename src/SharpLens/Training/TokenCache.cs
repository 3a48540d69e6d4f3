// Corpus files → a flat int32 token file + manifest, tokenized once and reused while corpus and tokenizer are unchanged.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SharpLens.Training;

/// <summary>What a token cache was built from; its hash identifies the data stream in checkpoints.</summary>
public sealed record TokenCacheManifest
{
    public int Format { get; init; } = 1;
    public required string TokenizerHash { get; init; }
    public required string Glob { get; init; }
    /// <summary>Relative paths (ordinal order) of the documents, with their byte length and SHA-256.</summary>
    public required List<CorpusFile> Files { get; init; }
    /// <summary>Files skipped because they are not valid UTF-8.</summary>
    public required List<string> Skipped { get; init; }
    public required int Separator { get; init; }
    public required long Tokens { get; init; }

    /// <summary>SHA-256 of the manifest's canonical JSON.</summary>
    public string Hash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(this)))).ToLowerInvariant();
}

/// <summary>One corpus document.</summary>
public sealed record CorpusFile(string Path, long Bytes, string Sha256);

/// <summary>
/// The token cache: every matching file under the corpus root (recursive, sorted by relative path, ordinal), each
/// document's ids followed by the separator token (eos, else bos), concatenated into <c>tokens.i32</c>.
/// </summary>
public sealed class TokenCache
{
    public TokenCacheManifest Manifest { get; }
    /// <summary>The whole stream (documents + separators).</summary>
    public int[] Tokens { get; }
    public string ManifestHash { get; }

    TokenCache(TokenCacheManifest manifest, int[] tokens) { Manifest = manifest; Tokens = tokens; ManifestHash = manifest.Hash(); }

    /// <summary>Lists the corpus deterministically: files matching <paramref name="glob"/> under <paramref name="root"/>.</summary>
    public static List<string> ListFiles(string root, string glob)
    {
        if (!System.IO.Directory.Exists(root)) throw new DirectoryNotFoundException($"corpus folder not found: {root}");
        var files = System.IO.Directory.EnumerateFiles(root, glob, SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"no files matching '{glob}' under {root}");
        return files;
    }

    /// <summary>Opens the cache in <paramref name="cacheDir"/> if it was built from the same files and tokenizer; builds it otherwise.</summary>
    public static TokenCache OpenOrBuild(string corpusRoot, string glob, TrainTokenizer tokenizer, string cacheDir, Action<string>? log = null)
    {
        var rel = ListFiles(corpusRoot, glob);
        var texts = new string?[rel.Count];
        var infos = new CorpusFile?[rel.Count];
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        Parallel.For(0, rel.Count, i =>
        {
            var bytes = File.ReadAllBytes(Path.Combine(corpusRoot, rel[i]));
            try { texts[i] = strict.GetString(bytes); } catch (DecoderFallbackException) { return; }
            if (texts[i]!.Length > 0 && texts[i]![0] == '\uFEFF') texts[i] = texts[i]![1..];
            infos[i] = new CorpusFile(rel[i], bytes.Length, Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant());
        });
        var files = infos.Where(f => f is not null).Select(f => f!).ToList();
        var skipped = rel.Where((_, i) => infos[i] is null).ToList();

        var manifestPath = Path.Combine(cacheDir, "manifest.json");
        var tokensPath = Path.Combine(cacheDir, "tokens.i32");
        if (File.Exists(manifestPath) && File.Exists(tokensPath))
        {
            var old = JsonSerializer.Deserialize<TokenCacheManifest>(File.ReadAllText(manifestPath));
            if (old is not null && old.TokenizerHash == tokenizer.Hash && old.Glob == glob && old.Separator == tokenizer.Separator
                && old.Files.SequenceEqual(files) && new FileInfo(tokensPath).Length == old.Tokens * 4)
            {
                log?.Invoke($"token cache: reusing {cacheDir} ({old.Tokens:N0} tokens)");
                return new TokenCache(old, ReadTokens(tokensPath, old.Tokens));
            }
            log?.Invoke($"token cache: {cacheDir} was built from other files or another tokenizer; rebuilding");
        }

        var perDoc = new int[files.Count][];
        var kept = Enumerable.Range(0, rel.Count).Where(i => infos[i] is not null).ToArray();
        Parallel.For(0, kept.Length, j => perDoc[j] = tokenizer.Encode(texts[kept[j]]!));
        long total = perDoc.Sum(d => (long)d.Length + 1);
        if (total > int.MaxValue) throw new InvalidDataException($"corpus has {total} tokens; the cache holds at most {int.MaxValue}");
        var tokens = new int[total];
        int pos = 0;
        foreach (var d in perDoc)
        {
            foreach (var id in d)
            {
                if ((uint)id >= (uint)tokenizer.VocabSize) throw new InvalidDataException($"tokenizer produced id {id}, outside its vocabulary of {tokenizer.VocabSize}");
                tokens[pos++] = id;
            }
            tokens[pos++] = tokenizer.Separator;
        }
        var manifest = new TokenCacheManifest
        {
            TokenizerHash = tokenizer.Hash, Glob = glob, Files = files, Skipped = skipped, Separator = tokenizer.Separator, Tokens = total,
        };
        System.IO.Directory.CreateDirectory(cacheDir);
        AtomicFile.Write(tokensPath, fs =>
        {
            var buf = new byte[total * 4];
            Buffer.BlockCopy(tokens, 0, buf, 0, buf.Length);
            fs.Write(buf);
        });
        AtomicFile.WriteText(manifestPath, JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }));
        log?.Invoke($"token cache: {files.Count} files → {total:N0} tokens in {cacheDir}" + (skipped.Count > 0 ? $" ({skipped.Count} non-UTF-8 files skipped)" : ""));
        return new TokenCache(manifest, tokens);
    }

    static int[] ReadTokens(string path, long count)
    {
        var bytes = File.ReadAllBytes(path);
        var tokens = new int[count];
        Buffer.BlockCopy(bytes, 0, tokens, 0, bytes.Length);
        return tokens;
    }

    /// <summary>A cache over tokens already in memory (tests, benchmarks).</summary>
    public static TokenCache FromTokens(int[] tokens, string tokenizerHash = "memory", int separator = 0) =>
        new(new TokenCacheManifest { TokenizerHash = tokenizerHash, Glob = "", Files = [], Skipped = [], Separator = separator, Tokens = tokens.Length }, tokens);
}

/// <summary>Files that appear only when complete: written to a temporary name in the same folder, then renamed.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<FileStream> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        System.IO.Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write)) { write(fs); fs.Flush(true); }
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    public static void WriteText(string path, string text) => Write(path, fs => fs.Write(Encoding.UTF8.GetBytes(text)));
}
