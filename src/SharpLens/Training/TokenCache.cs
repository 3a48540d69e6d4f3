// Corpus files → a flat int32 token file + manifest, tokenized once and reused while corpus and tokenizer are unchanged.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SharpLens.Reports;

namespace SharpLens.Training;

/// <summary>What a token cache was built from; its hash identifies the data stream in checkpoints.</summary>
public sealed record TokenCacheManifest
{
    public int Format { get; init; } = 2;
    public required string TokenizerHash { get; init; }
    /// <summary>The sources in order, each with the token range its documents occupy in the cache.</summary>
    public required List<CacheSource> Sources { get; init; }
    /// <summary>Relative paths (ordinal order within each source) of the training documents, with byte length and SHA-256.</summary>
    public required List<CorpusFile> Files { get; init; }
    /// <summary>Files kept out of training by the held-out split (by file, chosen by content hash).</summary>
    public List<CorpusFile> HeldOut { get; init; } = [];
    /// <summary>Fraction of files held out.</summary>
    public double HoldOutFraction { get; init; }
    /// <summary>Files whose content repeats an earlier file's (dropped).</summary>
    public List<string> Duplicates { get; init; } = [];
    /// <summary>Files that contain the closing-parenthesis study's template (<see cref="Procedural.Forbidden"/>), dropped.</summary>
    public List<string> ExcludedTemplate { get; init; } = [];
    /// <summary>Files skipped because they are not valid UTF-8.</summary>
    public required List<string> Skipped { get; init; }
    public required int Separator { get; init; }
    public required long Tokens { get; init; }

    /// <summary>SHA-256 of the manifest's canonical JSON.</summary>
    public string Hash() => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(this)))).ToLowerInvariant();
}

/// <summary>One source of a cache: where it came from, its weight, and the token range [Start, Start + Tokens) of its documents.</summary>
public sealed record CacheSource(string Root, string Glob, double Weight, int Files, long Start, long Tokens);

/// <summary>One corpus document (<see cref="Source"/> indexes <see cref="TokenCacheManifest.Sources"/>).</summary>
public sealed record CorpusFile(string Path, long Bytes, string Sha256, int Source = 0);

/// <summary>
/// The token cache: the training files of every source (recursive, sorted by relative path, ordinal; sources in the
/// order given), each document's ids followed by the separator token (eos, else bos), concatenated into
/// <c>tokens.i32</c>. Files are deduplicated by content (first occurrence kept), files holding the study template are
/// dropped, and a held-out fraction of files (by content hash) is kept out; all of it is recorded in the manifest.
/// A JSONL source (<c>sharplens data functions</c>'s train.jsonl) contributes each line's "code" as one document, named FILE:N.
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

    /// <summary>One source, weight 1, nothing held out.</summary>
    public static TokenCache OpenOrBuild(string corpusRoot, string glob, TrainTokenizer tokenizer, string cacheDir, Action<string>? log = null) =>
        OpenOrBuild([new CorpusSource(corpusRoot, glob)], 0, tokenizer, cacheDir, log);

    /// <summary>Opens the cache in <paramref name="cacheDir"/> if it was built from the same files, split and tokenizer; builds it otherwise.</summary>
    public static TokenCache OpenOrBuild(IReadOnlyList<CorpusSource> sources, double holdOut, TrainTokenizer tokenizer, string cacheDir, Action<string>? log = null)
    {
        if (sources.Count == 0) throw new ArgumentException("no corpus given: pass --corpus DIR at least once");
        CorpusSpec.ValidateHoldOut(holdOut, "--holdout");
        var jsonl = sources.Select(s => s.IsJsonl ? s.ReadJsonl().ToDictionary(d => d.Name, d => d.Bytes) : null).ToList();
        var listed = sources.SelectMany((s, si) => (jsonl[si]?.Keys.ToList() ?? s.ListFiles()).Select(rel => (Source: si, Rel: rel))).ToList();
        var texts = new string?[listed.Count];
        var infos = new CorpusFile?[listed.Count];
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        Parallel.For(0, listed.Count, i =>
        {
            var bytes = jsonl[listed[i].Source]?[listed[i].Rel] ?? File.ReadAllBytes(Path.Combine(sources[listed[i].Source].Root, listed[i].Rel));
            try { texts[i] = strict.GetString(bytes); } catch (DecoderFallbackException) { return; }
            if (texts[i]!.Length > 0 && texts[i]![0] == '\uFEFF') texts[i] = texts[i]![1..];
            infos[i] = new CorpusFile(listed[i].Rel, bytes.Length, Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), listed[i].Source);
        });
        string Name(int i) => Path.Combine(sources[listed[i].Source].Root, listed[i].Rel);
        var skipped = Enumerable.Range(0, listed.Count).Where(i => infos[i] is null).Select(Name).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = new List<string>();
        var template = new List<string>();
        var heldOut = new List<CorpusFile>();
        var kept = new List<int>();
        for (int i = 0; i < listed.Count; i++)
        {
            if (infos[i] is not CorpusFile f) continue;
            if (!seen.Add(f.Sha256)) { duplicates.Add(Name(i)); continue; }
            if (Procedural.ContainsForbidden(texts[i]!)) { template.Add(Name(i)); continue; }
            if (CorpusSpec.IsHeldOut(f.Sha256, holdOut)) { heldOut.Add(f); continue; }
            kept.Add(i);
        }
        if (kept.Count == 0) throw new InvalidDataException($"the corpus has no training files left ({listed.Count} listed, {skipped.Count} not UTF-8, " +
            $"{duplicates.Count} duplicates, {template.Count} with the study template, {heldOut.Count} held out)");
        var files = kept.Select(i => infos[i]!).ToList();

        var manifestPath = Path.Combine(cacheDir, "manifest.json");
        var tokensPath = Path.Combine(cacheDir, "tokens.i32");
        if (File.Exists(manifestPath) && File.Exists(tokensPath))
        {
            TokenCacheManifest? old = null;
            try { old = JsonSerializer.Deserialize<TokenCacheManifest>(File.ReadAllText(manifestPath)); } catch (JsonException) { }
            if (old is not null && old.Format == 2 && old.TokenizerHash == tokenizer.Hash && old.Separator == tokenizer.Separator
                && old.HoldOutFraction == holdOut && old.Files.SequenceEqual(files) && old.HeldOut.SequenceEqual(heldOut)
                && old.Sources.Select(s => (s.Root, s.Glob, s.Weight)).SequenceEqual(sources.Select(s => (s.Root, s.Glob, s.Weight)))
                && new FileInfo(tokensPath).Length == old.Tokens * 4)
            {
                log?.Invoke($"token cache: reusing {cacheDir} ({old.Tokens:N0} tokens)");
                return new TokenCache(old, ReadTokens(tokensPath, old.Tokens));
            }
            log?.Invoke($"token cache: {cacheDir} was built from other files, split or tokenizer; rebuilding");
        }

        var perDoc = new int[kept.Count][];
        Parallel.For(0, kept.Count, j => perDoc[j] = tokenizer.Encode(texts[kept[j]]!));
        long total = perDoc.Sum(d => (long)d.Length + 1);
        if (total > int.MaxValue) throw new InvalidDataException($"corpus has {total} tokens; the cache holds at most {int.MaxValue}");
        var tokens = new int[total];
        var sourceStart = new long[sources.Count + 1];                 // source s owns tokens [sourceStart[s], sourceStart[s+1])
        int pos = 0, next = 0;
        for (int j = 0; j < kept.Count; j++)
        {
            while (next <= files[j].Source) sourceStart[next++] = pos;
            foreach (var id in perDoc[j])
            {
                if ((uint)id >= (uint)tokenizer.VocabSize) throw new InvalidDataException($"tokenizer produced id {id}, outside its vocabulary of {tokenizer.VocabSize}");
                tokens[pos++] = id;
            }
            tokens[pos++] = tokenizer.Separator;
        }
        while (next <= sources.Count) sourceStart[next++] = pos;
        var cacheSources = sources.Select((s, si) => new CacheSource(s.Root, s.Glob, s.Weight, files.Count(f => f.Source == si),
            sourceStart[si], sourceStart[si + 1] - sourceStart[si])).ToList();
        var manifest = new TokenCacheManifest
        {
            TokenizerHash = tokenizer.Hash, Sources = cacheSources, Files = files, HeldOut = heldOut, HoldOutFraction = holdOut,
            Duplicates = duplicates, ExcludedTemplate = template, Skipped = skipped, Separator = tokenizer.Separator, Tokens = total,
        };
        System.IO.Directory.CreateDirectory(cacheDir);
        AtomicFile.Write(tokensPath, fs =>
        {
            var buf = new byte[total * 4];
            Buffer.BlockCopy(tokens, 0, buf, 0, buf.Length);
            fs.Write(buf);
        });
        AtomicFile.WriteText(manifestPath, JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }));
        log?.Invoke($"token cache: {files.Count} files → {total:N0} tokens in {cacheDir}" +
                    $" ({heldOut.Count} held out, {duplicates.Count} duplicates, {template.Count} with the study template, {skipped.Count} not UTF-8)");
        return new TokenCache(manifest, tokens);
    }

    /// <summary>Opens an existing cache as it is (no corpus needed), checking it belongs to <paramref name="tokenizer"/>.</summary>
    public static TokenCache Open(string cacheDir, TrainTokenizer tokenizer)
    {
        var manifestPath = Path.Combine(cacheDir, "manifest.json");
        var tokensPath = Path.Combine(cacheDir, "tokens.i32");
        if (!File.Exists(manifestPath) || !File.Exists(tokensPath))
            throw new FileNotFoundException($"expected a token cache (manifest.json and tokens.i32) in {cacheDir}, found none");
        TokenCacheManifest? m;
        try { m = JsonSerializer.Deserialize<TokenCacheManifest>(File.ReadAllText(manifestPath)); }
        catch (JsonException e) { throw new InvalidDataException($"{manifestPath}: expected a token cache manifest, found invalid JSON ({e.Message})"); }
        if (m is null || m.Format != 2) throw new InvalidDataException($"{manifestPath}: expected a token cache manifest of format 2, found {m?.Format.ToString() ?? "null"}");
        if (m.TokenizerHash != tokenizer.Hash)
            throw new InvalidDataException($"the token cache in {cacheDir} was built with another tokenizer (hash {m.TokenizerHash[..Math.Min(12, m.TokenizerHash.Length)]}…, this one {tokenizer.Hash[..Math.Min(12, tokenizer.Hash.Length)]}…)");
        long length = new FileInfo(tokensPath).Length;
        if (length != m.Tokens * 4) throw new InvalidDataException($"{tokensPath}: expected {m.Tokens * 4} bytes ({m.Tokens} tokens), found {length}");
        return new TokenCache(m, ReadTokens(tokensPath, m.Tokens));
    }

    static int[] ReadTokens(string path, long count)
    {
        var bytes = File.ReadAllBytes(path);
        var tokens = new int[count];
        Buffer.BlockCopy(bytes, 0, tokens, 0, bytes.Length);
        return tokens;
    }

    /// <summary>A cache over tokens already in memory (tests, benchmarks): one source of weight 1.</summary>
    public static TokenCache FromTokens(int[] tokens, string tokenizerHash = "memory", int separator = 0) =>
        new(new TokenCacheManifest
        {
            TokenizerHash = tokenizerHash, Sources = [new CacheSource("", "", 1.0, 0, 0, tokens.Length)], Files = [], Skipped = [],
            Separator = separator, Tokens = tokens.Length,
        }, tokens);
}
