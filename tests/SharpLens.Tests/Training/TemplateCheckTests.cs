// The template check: it reads a run's stream settings back, regenerates exactly what the run was fed and counts strings.
using System.Text.Json;
using SharpLens.Training;

namespace SharpLens.Tests.Training;

public class TemplateCheckTests
{
    static string WriteRunJson(TinyRun run, string hash, string schedule = "spread")
    {
        var dir = Path.Combine(run.Root, "run");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, RunMetadata.FileName), JsonSerializer.Serialize(new
        {
            arch = "llama", objective = "clm", seq_len = 32, batch = 4, steps = 25, seed = 3,
            procedural = new[] { new { kind = "calls", fraction = 0.2 } }, procedural_schedule = schedule,
            corpus = new { manifest_sha256 = hash },
        }));
        return dir;
    }

    [Fact]
    public void Counts_strings_in_the_cache_and_in_the_exact_stream_including_procedural_sequences()
    {
        using var run = new TinyRun();
        var stream = RunStream.Read(WriteRunJson(run, run.Cache.ManifestHash));
        Assert.Equal(ProceduralSchedule.Spread, stream.Schedule);
        // The tiny corpus prints sums (`print(sum(`) and never the template; procedural calls never call print or str.
        var r = TemplateCheck.Run(run.Cache, run.Tokenizer, stream, ["print(sum(", "print(str(", "#print the string"]);
        Assert.Equal(100, r.Sequences);
        Assert.Equal(20, r.ProceduralSequences);                   // ⌊100·0.2⌋ sequences of the 25 steps
        Assert.True(r.Hits[0].CacheOccurrences > 0 && r.Hits[0].StreamOccurrences > 0, "the planted string must be found in both");
        Assert.True(r.Hits[0].CacheOccurrences >= r.Hits[0].CacheDocuments);
        Assert.All(r.Hits.Skip(1), h => Assert.Equal((0L, 0L), (h.CacheOccurrences, h.StreamOccurrences)));
        Assert.False(r.Clean);
        Assert.True(TemplateCheck.Run(run.Cache, run.Tokenizer, stream).Clean);

        // Independent count in the cache: decode each document and count by splitting.
        long expected = 0;
        var text = run.Tokenizer.Decode!(run.Cache.Tokens);
        expected = text.Split("print(sum(").Length - 1;
        Assert.Equal(expected, r.Hits[0].CacheOccurrences);
    }

    [Fact]
    public void A_cache_of_another_corpus_is_refused()
    {
        using var run = new TinyRun();
        var stream = RunStream.Read(WriteRunJson(run, new string('0', 64)));
        var e = Assert.Throws<InvalidDataException>(() => TemplateCheck.Run(run.Cache, run.Tokenizer, stream));
        Assert.Contains("the token cache is not this run's", e.Message);
    }
}
