// Corpus mixing: several sources with weights, content dedup, the held-out split by file, the study template kept out.
using SharpLens.Training;

namespace SharpLens.Tests.Training;

public sealed class CorpusTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("sharplens-corpus-").FullName;
    readonly TrainTokenizer tok;

    public CorpusTests()
    {
        for (int i = 0; i < 40; i++) Write($"a/f{i:D2}.py", $"def f{i}(x):\n    return x * {i} + len(str(x))\n" + new string('#', i));
        for (int i = 0; i < 10; i++) Write($"b/g{i:D2}.py", $"class G{i}:\n    value = [{i}, {i + 1}]\n");
        Write("b/copy.py", File.ReadAllText(Path.Combine(root, "a/f03.py")));       // same content as a file of source a
        Write("b/study.py", "#print the string 123\nprint(str(123))\n");            // the study template
        Write("b/readme.txt", "not code");
        tok = new TrainTokenizer
        {
            Encode = s => s.Select(c => 3 + c % 200).ToArray(), VocabSize = 256, Hash = "chars", BosId = 0, EosId = 0, PadId = 1,
            SpecialIds = new HashSet<int> { 0, 1 },
        };
    }

    void Write(string rel, string text)
    {
        var path = Path.Combine(root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    TokenCache Build(double holdOut, double weightB = 1, string cache = "cache") => TokenCache.OpenOrBuild(
        [new CorpusSource(Path.Combine(root, "a")), new CorpusSource(Path.Combine(root, "b"), "*.py", weightB)], holdOut, tok, Path.Combine(root, cache));

    [Fact]
    public void Duplicates_and_template_files_are_dropped_and_recorded()
    {
        var c = Build(0).Manifest;
        Assert.Equal(50, c.Files.Count);
        Assert.Equal([Path.Combine(root, "b", "copy.py")], c.Duplicates);
        Assert.Equal([Path.Combine(root, "b", "study.py")], c.ExcludedTemplate);
        Assert.Equal(2, c.Sources.Count);
        Assert.Equal((40, 10), (c.Sources[0].Files, c.Sources[1].Files));
        Assert.Equal(c.Tokens, c.Sources.Sum(s => s.Tokens));
        Assert.Equal(c.Sources[0].Tokens, c.Sources[1].Start);
    }

    [Fact]
    public void The_held_out_split_is_by_file_content_and_stable()
    {
        var c = Build(0.25).Manifest;
        Assert.InRange(c.HeldOut.Count, 5, 22);                            // ≈ 12.5 of 50, by hash
        Assert.Equal(50, c.Files.Count + c.HeldOut.Count);
        Assert.Empty(c.Files.Select(f => f.Sha256).Intersect(c.HeldOut.Select(f => f.Sha256)));
        Assert.All(c.HeldOut, f => Assert.True(CorpusSpec.IsHeldOut(f.Sha256, 0.25)));
        Assert.Equal(c.HeldOut, Build(0.25, cache: "other").Manifest.HeldOut);
        Assert.Equal(c.HeldOut.Select(f => f.Path), Build(0.25, weightB: 3, cache: "w").Manifest.HeldOut.Select(f => f.Path));
    }

    [Fact]
    public void Weights_repeat_or_subsample_a_source_per_epoch()
    {
        var one = Build(0);
        var three = Build(0, weightB: 3, cache: "w3");
        var half = Build(0, weightB: 0.5, cache: "w05");
        int Windows(TokenCache c, int s) => (int)(c.Manifest.Sources[s].Tokens / 16);
        int a = Windows(one, 0), b = Windows(one, 1);
        Assert.Equal(a + b, new DataStream(one, 16, 2, 1, Objective.Clm).Sequences);
        Assert.Equal(a + 3 * b, new DataStream(three, 16, 2, 1, Objective.Clm).Sequences);
        Assert.Equal(a + (int)Math.Round(0.5 * b), new DataStream(half, 16, 2, 1, Objective.Clm).Sequences);
        var stream = new DataStream(three, 16, 2, 1, Objective.Clm);
        var starts = Enumerable.Range(0, stream.Sequences).Select(g => stream.SequenceStart(g)).ToList();
        long bStart = three.Manifest.Sources[1].Start;
        Assert.Equal(3 * b, starts.Count(s => s >= bStart));
        Assert.All(starts.Where(s => s >= bStart).GroupBy(s => s), g => Assert.Equal(3, g.Count()));
        Assert.All(starts, s => Assert.True(s < bStart ? s + 16 <= bStart : s + 16 <= bStart + three.Manifest.Sources[1].Tokens,
            "a window crosses the end of its source"));
    }

    [Theory]
    [InlineData("dir", "dir", "*.py", 1.0)]
    [InlineData("dir:*.c", "dir", "*.c", 1.0)]
    [InlineData("dir@2.5", "dir", "*.py", 2.5)]
    [InlineData("dir:*.js@0.5", "dir", "*.js", 0.5)]
    public void Corpus_specs_parse(string spec, string root, string glob, double weight) =>
        Assert.Equal(new CorpusSource(root, glob, weight), CorpusSource.Parse(spec, "*.py"));

    [Theory]
    [InlineData("dir@0", "weight")]
    [InlineData("dir@-1", "weight")]
    [InlineData("dir@x", "weight")]
    [InlineData("dir:", "empty file pattern")]
    [InlineData("@2", "no folder")]
    public void Bad_corpus_specs_are_refused(string spec, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => CorpusSource.Parse(spec, "*.py"));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Manifests_load_relative_paths_and_refuse_bad_json()
    {
        var path = Path.Combine(root, "corpus.json");
        File.WriteAllText(path, """{"sources": [{"path": "a", "weight": 2}, {"path": "b", "glob": "*.py"}], "holdout": 0.1}""");
        var spec = CorpusSpec.Load(path);
        Assert.Equal(new CorpusSource(Path.Combine(root, "a"), "*.py", 2), spec.Sources[0]);
        Assert.Equal(0.1, spec.HoldOut);
        File.WriteAllText(path, """{"sources": [""");
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => CorpusSpec.Load(path)).Message);
        File.WriteAllText(path, """{"sources": []}""");
        Assert.Contains("non-empty", Assert.Throws<InvalidDataException>(() => CorpusSpec.Load(path)).Message);
        File.WriteAllText(path, """{"sources": [{"path": "a", "weight": 0}]}""");
        Assert.Contains("weight", Assert.Throws<InvalidDataException>(() => CorpusSpec.Load(path)).Message);
        File.WriteAllText(path, """{"sources": [{"path": "a"}], "holdout": 1.5}""");
        Assert.Contains("[0, 1)", Assert.Throws<ArgumentException>(() => CorpusSpec.Load(path)).Message);
    }

    [Fact]
    public void A_source_matching_no_file_is_an_error()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            TokenCache.OpenOrBuild([new CorpusSource(Path.Combine(root, "a")), new CorpusSource(Path.Combine(root, "b"), "*.rs")], 0, tok, Path.Combine(root, "c")));
        Assert.Contains("no files matching '*.rs'", e.Message);
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }
}
