// `sharplens probe` end to end on a tiny random RoFormer + the GPT-2 tokenizer fixture, and its bad-input failures.
using System.Text.Json;
using SharpLens.Analysis.Probes;
using SharpLens.Architectures.RoFormer;
using SharpLens.Code.Datasets;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Probes;

public sealed class ProbeCommandTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    internal const string Python = """
        def add(a, b=1):
            x = a + b
            if x > 2:
                return x
            return add(x, b)

        def scale(values, factor):
            out = []
            for v in values:
                out.append(v * factor)
            return out

        class Box:
            def area(self, w, h):
                s = w * h
                return s

        def longest(words, limit=10, prefix="item", verbose=False, separator=", ", fallback=None):
            best = fallback
            total = 0
            for word in words:
                if len(word) > limit and word.startswith(prefix):
                    total = total + len(word)
                    best = word if best is None or len(word) > len(best) else best
            if verbose:
                print(separator.join([prefix, str(total), str(best)]))
            return best
        """;

    /// <summary>
    /// A model folder the CLI can use: a random 2-layer RoFormer (d_model 16, max 64 positions, vocabulary 50,257 so
    /// every GPT-2 id is valid) saved as an HF folder, plus the GPT-2 tokenizer fixture's vocab.json + merges.txt.
    /// The pairing is arbitrary; the test checks plumbing, not probe quality. 64 positions make `longest` truncate.
    /// </summary>
    string ModelDir(string name, bool withTokenizer = true)
    {
        var path = dir.File(name);
        Directory.CreateDirectory(path);
        var json = """
            {"model_type": "roformer", "vocab_size": 50257, "embedding_size": 8, "hidden_size": 16, "num_attention_heads": 2,
             "num_hidden_layers": 2, "intermediate_size": 24, "max_position_embeddings": 64, "layer_norm_eps": 1e-12}
            """;
        using var model = (RoFormerForMaskedLM)RoFormerForMaskedLM.Create(HfConfig.FromJson(json)).Model;
        model.InitWeights(0.4, new Generator(11));
        File.WriteAllText(Path.Combine(path, "config.json"), model.Config.ToJson());
        SafeTensorsWriter.Write(Path.Combine(path, "model.safetensors"), model.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Append(("roformer.encoder.embed_positions.weight", model.EmbedPositionsTable())).ToList());
        if (withTokenizer)
            foreach (var f in new[] { "vocab.json", "merges.txt" })
                File.Copy(Path.Combine(Fixtures.Tokenizer("gpt2"), f), Path.Combine(path, f));
        return path;
    }

    string Pairs()
    {
        var src = dir.File("src");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "m.py"), Python);
        var (functions, _) = ProbeFunctions.Extract(src, 10, seed: 1);
        var (pairs, _) = ProbePairs.Generate("sibling", functions, seed: 1, perLabel: 30);
        var file = dir.File("pairs.jsonl");
        Jsonl.Write(file, pairs, ProbePair.WriteJson);
        return file;
    }

    [FixtureFact]
    public void Probe_command_writes_json_csv_and_plots_for_two_models()
    {
        var a = ModelDir("tiny-a");
        var b = ModelDir("tiny-b");
        var pairs = Pairs();
        var outDir = dir.File("out");

        var (code, stderr) = Support.Cli.Run("probe", "--model", a, "--pairs", pairs, "--compare", b, "--probe", "both", "--mode", "exact", "--out", outDir);

        Assert.True(code == 0, stderr);
        Assert.Contains("truncated to 64 tokens", stderr);
        foreach (var f in new[] { "probe.json", "probe.csv", "probe_accuracy.png", "probe_accuracy.svg" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        var csv = File.ReadAllLines(Path.Combine(outDir, "probe.csv"));
        Assert.StartsWith("model,task,layer,probe,train_acc,test_acc,macro_f1,n_clusters", csv[0]);
        Assert.Equal(1 + 2 * 2 * 2, csv.Length);                                    // header + 2 models × 2 layers × 2 probes
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "probe.json")));
        var comparison = doc.RootElement.GetProperty("comparison");
        Assert.Equal(4, comparison.GetArrayLength());
        // identical weights (same seed) and identical pairs: every difference is exactly zero
        foreach (var c in comparison.EnumerateArray()) Assert.Equal(0.0, c.GetProperty("diff_b_minus_a").GetDouble());
        var run = doc.RootElement.GetProperty("runs")[0];
        Assert.True(run.GetProperty("features").GetProperty("functions_truncated").GetInt32() >= 1);
        foreach (var row in run.GetProperty("rows").EnumerateArray().Where(r => r.GetProperty("probe").GetString() == "directprobe"))
            Assert.True(row.GetProperty("n_clusters").GetInt32() >= 2);
    }

    [FixtureFact]
    public void Batched_padded_features_equal_one_function_at_a_time()
    {
        // Given the tiny model and the pairs file
        var path = ModelDir("tiny");
        var records = PairsFile.Read(Pairs());
        using var model = ModelLoader.Load(path);
        var tokenizer = SharpLens.Tokenization.Tokenizer.Load(path);

        // When features are built one function per forward pass and 4 per (right-padded, masked) pass
        var (one, report) = PairFeatures.Extract(model, tokenizer, records, [0, 1], 64, batchSize: 1);
        var (four, _) = PairFeatures.Extract(model, tokenizer, records, [0, 1], 64, batchSize: 4);

        // Then the pair vectors agree (fp32, padding masked out), sibling vectors are [a; b] of width 2·d_model, and
        // pairs that lost a token to the 64-token limit were dropped and counted
        Assert.True(report.FunctionsTruncated >= 1 && report.PairsSkipped >= 1, $"{report}");
        Assert.Equal(records.Count - report.PairsSkipped, one[0].X.Length);
        foreach (var layer in new[] { 0, 1 })
        {
            Assert.Equal(one[layer].Labels, four[layer].Labels);
            Assert.All(one[layer].X, v => Assert.Equal(32, v.Length));
            double maxDiff = one[layer].X.Zip(four[layer].X).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
            Assert.True(maxDiff < 1e-4, $"layer {layer}: max |Δ| {maxDiff}");
        }
    }

    /// <summary>A report file with every "seconds" field removed (timings are the one thing a rerun cannot reproduce).</summary>
    static string WithoutSeconds(string file) => file.EndsWith(".csv")
        ? string.Join("\n", File.ReadAllLines(file).Select(l => l[..l.LastIndexOf(',')]))                 // seconds is the last column
        : System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(file), @"\s*""seconds"": [^,\n}]*,?", "");

    [FixtureFact]
    public void Probe_sharded_three_ways_and_merged_writes_the_unsharded_runs_numbers()
    {
        // Given two 2-layer models: 4 (model, layer) units, cut 3 ways as [a:0], [a:1], [b:0, b:1]
        var a = ModelDir("tiny-a");
        var b = ModelDir("tiny-b2");
        var pairs = Pairs();
        string[] study = ["probe", "--model", a, "--compare", b, "--pairs", pairs, "--probe", "both", "--mode", "kmeans", "--clusters-per-label", "4"];
        string reference = dir.File("reference"), run = dir.File("run");
        Assert.Equal(0, Support.Cli.Run([.. study, "--out", reference]).Code);

        foreach (var i in new[] { 2, 0, 1 })
            Assert.Equal(0, Support.Cli.Run([.. study, "--out", run, "--shard", $"{i}/3"]).Code);
        var (code, stderr) = Support.Cli.Run("merge", run);

        Assert.True(code == 0, stderr);
        foreach (var f in new[] { "probe.csv", "probe.json" })
            Assert.Equal(WithoutSeconds(Path.Combine(reference, f)), WithoutSeconds(Path.Combine(run, f)));
        // ScottPlot numbers its clip paths with a process-wide counter; the drawing itself must be the same
        static string Svg(string dir) => System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(Path.Combine(dir, "probe_accuracy.svg")), @"cl_[0-9a-z]+", "cl_");
        Assert.Equal(Svg(reference), Svg(run));
        Assert.Equal(1 + 2 * 2 * 2, File.ReadAllLines(Path.Combine(run, "probe.csv")).Length);

        // a missing shard is named; more shards than units are refused before anything is written
        Directory.Delete(SharpLens.Reports.ShardedRun.ShardDir(run, "probe", new(1, 3)), true);
        (code, stderr) = Support.Cli.Run("merge", run);
        Assert.Equal(2, code);
        Assert.Contains("expected 3 probe shards, missing 1/3", stderr);
        (code, stderr) = Support.Cli.Run([.. study, "--out", dir.File("run5"), "--shard", "0/5"]);
        Assert.Equal(2, code);
        Assert.Contains("--shard: 5 shards are more than the work units: expected at most 4", stderr);
        Assert.False(Directory.Exists(dir.File("run5")));
    }

    [FixtureFact]
    public void Bad_inputs_fail_with_exit_2_and_leave_no_output()
    {
        var model = ModelDir("tiny");
        var noTokenizer = ModelDir("bare", withTokenizer: false);
        var pairs = Pairs();
        var broken = dir.File("broken.jsonl");
        File.WriteAllText(broken, "{\"id\": \"x\", \"task\": \"sibling\"\n");
        var wrongShape = dir.File("wrong.jsonl");
        File.WriteAllText(wrongShape, "{\"id\": \"x\", \"task\": \"sibling\", \"label\": \"1\", \"split\": \"train\", \"code\": \"x = 1\"}\n");
        var outDir = dir.File("out");

        var cases = new (string[] Args, string Expect)[]
        {
            (["--model", model, "--pairs", dir.File("missing.jsonl")], "pairs file not found"),
            (["--model", model, "--pairs", broken], "expected a JSON object"),
            (["--model", model, "--pairs", wrongShape], "expected an object field 'a'"),
            (["--model", noTokenizer, "--pairs", pairs], "expected tokenizer.json"),
            (["--model", model, "--pairs", pairs, "--layers", "0,7"], "expected layers in 0..1"),
            (["--model", model, "--pairs", pairs, "--layers", "a"], "--layers expects"),
        };
        foreach (var (args, expect) in cases)
        {
            var (code, stderr) = Support.Cli.Run(["probe", .. args, "--probe", "linear", "--out", outDir]);
            Assert.True(code == 2, $"{string.Join(' ', args)} → {code}: {stderr}");
            Assert.Contains(expect, stderr);
            Assert.False(Directory.Exists(outDir), "no partial output");
        }
    }
}
