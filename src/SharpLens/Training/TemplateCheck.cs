// Searches what a run trained on for the closing-parenthesis study's template: the token cache decoded document by
// document, and the exact training stream (corpus windows and procedural sequences) step by step.
using System.Text.Json;

namespace SharpLens.Training;

/// <summary>How often one string occurs: in the cache's documents and in the sequences the run was fed.</summary>
public sealed record TemplateHit(string Text, long CacheDocuments, long CacheOccurrences, long StreamSequences, long StreamOccurrences);

/// <summary>The result of <see cref="TemplateCheck.Run"/>: what was searched and the hits per string.</summary>
public sealed record TemplateCheckResult(
    long CacheTokens, long CacheDocuments, long Steps, long Sequences, long ProceduralSequences, IReadOnlyList<TemplateHit> Hits)
{
    /// <summary>True when no string occurs anywhere.</summary>
    public bool Clean => Hits.All(h => h.CacheOccurrences == 0 && h.StreamOccurrences == 0);
}

/// <summary>The stream settings of a finished or running training run, read back from its <c>run.json</c>.</summary>
public sealed record RunStream(int SeqLen, int Batch, long Steps, long Seed, Objective Objective,
    IReadOnlyList<ProceduralMix> Procedural, ProceduralSchedule Schedule, string CorpusManifestSha256)
{
    /// <summary>Reads <c>RUN/run.json</c> (written by <c>sharplens train</c>).</summary>
    public static RunStream Read(string runDir)
    {
        var path = Path.Combine(runDir, RunMetadata.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"expected a training run folder with {RunMetadata.FileName}, found none in {runDir}");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var r = doc.RootElement;
        JsonElement Get(string name) => r.TryGetProperty(name, out var v) ? v
            : throw new InvalidDataException($"{path}: expected the key '{name}', found none");
        var mix = Get("procedural").EnumerateArray().Select(p => new ProceduralMix(p.GetProperty("kind").GetString()!, p.GetProperty("fraction").GetDouble())).ToList();
        var schedule = r.TryGetProperty("procedural_schedule", out var s) ? ProceduralMix.ParseSchedule(s.GetString()) : ProceduralSchedule.Front;
        var objective = Get("objective").GetString() switch
        {
            "clm" => Objective.Clm,
            "mlm" => Objective.Mlm,
            var o => throw new InvalidDataException($"{path}: expected objective clm or mlm, found '{o}'"),
        };
        return new RunStream(Get("seq_len").GetInt32(), Get("batch").GetInt32(), Get("steps").GetInt64(), Get("seed").GetInt64(), objective,
            mix, schedule, Get("corpus").GetProperty("manifest_sha256").GetString()!);
    }
}

public static class TemplateCheck
{
    /// <summary>
    /// Counts every string of <paramref name="texts"/> (default: <see cref="Procedural.Forbidden"/>) in the cache's
    /// documents (split at the separator, decoded) and in each training sequence of steps 0 … steps−1 (decoded inputs).
    /// </summary>
    public static TemplateCheckResult Run(TokenCache cache, TrainTokenizer tok, RunStream run, IReadOnlyList<string>? texts = null)
    {
        texts ??= Procedural.Forbidden;
        if (texts.Count == 0 || texts.Any(string.IsNullOrEmpty)) throw new ArgumentException("expected at least one non-empty search string, found none");
        var decode = tok.Decode ?? throw new InvalidDataException("the tokenizer has no decoder; the template check decodes the training data");
        if (cache.ManifestHash != run.CorpusManifestSha256)
            throw new InvalidDataException($"the token cache is not this run's: its manifest hash is {cache.ManifestHash[..16]}…, the run's run.json names {run.CorpusManifestSha256[..Math.Min(16, run.CorpusManifestSha256.Length)]}…");
        var cacheDocs = new long[texts.Count]; var cacheOcc = new long[texts.Count];
        var seqHits = new long[texts.Count]; var seqOcc = new long[texts.Count];
        long documents = 0;
        var tokens = cache.Tokens;
        int sep = cache.Manifest.Separator;
        for (long i = 0, start = 0; i <= tokens.LongLength; i++)
        {
            if (i < tokens.LongLength && tokens[i] != sep) continue;
            if (i > start)
            {
                documents++;
                Count(decode(tokens[(int)start..(int)i]), cacheDocs, cacheOcc);
            }
            start = i + 1;
        }
        var stream = new DataStream(cache, run.SeqLen, run.Batch, run.Seed, run.Objective, tok, run.Procedural, run.Steps, run.Schedule);
        long procedural = 0;
        for (long step = 0; step < run.Steps; step++)
        {
            var b = stream.BatchAt(step);
            for (int r = 0; r < b.BatchSize; r++)
            {
                var ids = new int[b.SeqLen];
                for (int j = 0; j < ids.Length; j++) ids[j] = (int)b.InputIds[r * b.SeqLen + j];
                Count(decode(ids), seqHits, seqOcc);
            }
            procedural += stream.ProceduralSequencesIn(step);
        }
        var hits = texts.Select((t, k) => new TemplateHit(t, cacheDocs[k], cacheOcc[k], seqHits[k], seqOcc[k])).ToList();
        return new TemplateCheckResult(tokens.LongLength, documents, run.Steps, run.Steps * run.Batch, procedural, hits);

        void Count(string text, long[] hitIn, long[] occurrences)
        {
            for (int k = 0; k < texts.Count; k++)
            {
                int n = 0;
                for (int at = text.IndexOf(texts[k], StringComparison.Ordinal); at >= 0; at = text.IndexOf(texts[k], at + 1, StringComparison.Ordinal)) n++;
                if (n > 0) { hitIn[k]++; occurrences[k] += n; }
            }
        }
    }
}
