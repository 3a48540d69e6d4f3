// SSM-Interpret pipeline: function units, splits by file, type labels, pooled MRR, sizes, and reproduce.sh end to end on tiny models.
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SharpLens.Analysis.SsmInterpret;
using SharpLens.Code.Datasets;
using SharpLens.Training;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Training;

public sealed class SsmInterpretPipelineTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    /// <summary>Python files with annotations, literals and docstrings; every function differs (file and index in names and numbers).</summary>
    internal static string WriteCorpus(string root, int files)
    {
        Directory.CreateDirectory(root);
        string[] words = ["count", "total", "items", "value", "label", "index"];
        for (int f = 0; f < files; f++)
        {
            var sb = new System.Text.StringBuilder("import os\n\n");
            for (int i = 0; i < 3; i++)
            {
                string w = words[(f + i) % words.Length];
                sb.Append($"def {w}_{f}_{i}({w}: int, names: List[str] = None) -> Optional[Dict[str, int]]:\n")
                  .Append($"    \"\"\"Return the {w} table of file {f} number {i}.\"\"\"\n")
                  .Append($"    step = {f * 10 + i}\n    ratio = {i}.5\n    title = \"{w}\"\n    seen: Set[int] = set()\n")
                  .Append($"    return {{title: {w} + step}}\n\n");
            }
            sb.Append($"class Box{f}:\n    def size(self, limit: int = {f}) -> int:\n        \"\"\"Size of box {f}, at most limit.\"\"\"\n        done = False\n        return limit + {f}\n");
            File.WriteAllText(Path.Combine(root, $"m{f:D2}.py"), sb.ToString());
        }
        return root;
    }

    [Fact]
    public void A_function_unit_holds_the_dedented_def_its_docstring_and_the_def_without_it()
    {
        var src = "import os\n\nclass Box:\n    @staticmethod\n    def size(limit: int = 3) -> int:\n        \"\"\"Size of the box.\n\n        More text.\n        \"\"\"\n        n = 4\n        return n\n\ndef free(a):\n    return a\n";
        var units = FunctionUnits.Of("box.py", src).ToList();
        Assert.Equal(["size", "free"], units.Select(u => u.Name));
        Assert.Equal("def size(limit: int = 3) -> int:\n    \"\"\"Size of the box.\n\n    More text.\n    \"\"\"\n    n = 4\n    return n", units[0].Code);
        Assert.Equal("Size of the box.\n\nMore text.", units[0].Docstring);
        Assert.Equal("def size(limit: int = 3) -> int:\n    n = 4\n    return n", units[0].CodeWithoutDocstring);
        Assert.Null(units[1].Docstring);
        Assert.Equal(units[1].Code, units[1].CodeWithoutDocstring);
        Assert.Null(FunctionUnits.Unquote("b'bytes'"));
        Assert.Equal("raw text", FunctionUnits.Unquote("r'''raw text'''"));
    }

    [Fact]
    public void Splits_are_disjoint_by_file_and_follow_the_content_hash()
    {
        var root = WriteCorpus(dir.File("src"), 20);
        File.Copy(Path.Combine(root, "m00.py"), Path.Combine(root, "m99.py"));              // a duplicate file: its functions are dropped
        var r = FunctionCorpus.Build([new CorpusSource(root)], 0.25, 0.35);
        var splits = new[] { ("train", r.Train), ("valid", r.Valid), ("test", r.Test) };
        Assert.All(splits, s => Assert.NotEmpty(s.Item2));
        var fileSplit = splits.SelectMany(s => s.Item2.Select(u => (u.Path, Split: s.Item1))).Distinct().GroupBy(x => x.Path).ToList();
        Assert.All(fileSplit, g => Assert.Single(g));                                         // every file's functions share one split
        foreach (var g in fileSplit)
        {
            var sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(root, g.Key))));
            Assert.Equal(FunctionCorpus.SplitOf(sha, 0.25, 0.35), g.Single().Split);
        }
        Assert.Equal(20 * 4, r.Manifest.Splits.Values.Sum(c => c.Functions));
        Assert.Equal(4, r.Manifest.Duplicates);
        Assert.DoesNotContain(fileSplit, g => g.Key == "m99.py");
    }

    [Theory]
    [InlineData("List[int]", "list")]
    [InlineData("typing.Dict[str, int]", "dict")]
    [InlineData("Optional[List[int]]", "list")]
    [InlineData("int | None", "int")]
    [InlineData("Union[int, str]", "union")]
    [InlineData("Union[None, Text]", "str")]
    [InlineData("'Foo'", "Foo")]
    [InlineData("np.ndarray", "ndarray")]
    [InlineData("Tuple[int, ...]", "tuple")]
    [InlineData("None", "None")]
    public void Types_are_normalised_to_their_outer_name(string annotation, string expected) =>
        Assert.Equal(expected, TypeInferenceData.Normalize(annotation));

    [Fact]
    public void Annotations_are_stripped_and_labels_sit_on_the_first_token_of_each_name()
    {
        var code = "def f(x: int, ys: List[str] = None) -> bool:\n    z: Dict[str, int] = {}\n    n = 3\n    self.a: int = 1\n    return True";
        var s = TypeInferenceData.Strip(code);
        Assert.Equal("def f(x, ys = None):\n    z = {}\n    n = 3\n    self.a = 1\n    return True", s.Text);
        Assert.Equal([("f", "bool", "return"), ("x", "int", "param"), ("ys", "list", "param"), ("z", "dict", "assign"), ("n", "int", "literal")],
            s.Names.Select(n => (n.Name, n.Type, n.Origin)));
        Assert.All(s.Names, n => Assert.Equal(n.Name, s.Text[n.Start..n.End]));
        // a tokenizer that, like byte-level BPE, glues leading blanks to the next word
        var tokens = Regex.Matches(s.Text, @"\s*\w+|\s*[^\w\s]").Select(m => (m.Value, (m.Index, m.Index + m.Length))).ToList();
        var labels = new Dictionary<string, int> { ["bool"] = 0, ["int"] = 1, ["list"] = 2, ["dict"] = 3 };
        var aligned = TypeInferenceData.Align(tokens.Select(t => t.Item2).ToList(), s.Names, labels);
        const int I = DataStream.IgnoreIndex;
        var expected = new (string, int)[]
        {
            ("def", I), (" f", 0), ("(", I), ("x", 1), (",", I), (" ys", 2), (" =", I), (" None", I), (")", I), (":", I),
            ("\n    z", 3), (" =", I), (" {", I), ("}", I), ("\n    n", 1), (" =", I), (" 3", I),
            ("\n    self", I), (".", I), ("a", I), (" =", I), (" 1", I), ("\n    return", I), (" True", I),
        };
        Assert.Equal(expected, tokens.Select(t => t.Value).Zip(aligned));
        // a name split into two sub-tokens: the first carries the label, the second none; a type outside the set: none
        var split = TypeInferenceData.Align([(0, 2), (2, 5), (5, 6)], [new TypedName(0, 5, "count", "int", "literal")], labels);
        Assert.Equal([1, I, I], split);
        Assert.Equal([I, I, I], TypeInferenceData.Align([(0, 2), (2, 5), (5, 6)], [new TypedName(0, 5, "count", "Widget", "param")], labels));
    }

    [Fact]
    public void Pooled_mrr_matches_a_brute_force_ranking()
    {
        var rng = new SplitMix64(5);
        int n = 10, d = 3;
        var q = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray()).ToArray();
        var c = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble() - 0.5).ToArray()).ToArray();
        c[2] = (double[])c[1].Clone();                     // a tie inside the first pool: it counts against the true candidate
        double Brute(int pool)
        {
            var rr = new List<double>();
            for (int p = 0; p + pool <= n; p += pool)
                for (int i = p; i < p + pool; i++)
                {
                    var order = Enumerable.Range(p, pool).OrderByDescending(j => q[i].Zip(c[j]).Sum(x => x.First * x.Second)).ThenBy(j => j == i ? 1 : 0).ToList();
                    rr.Add(1.0 / (order.IndexOf(i) + 1));
                }
            return rr.Average();
        }
        using var qt = tensor(q.SelectMany(x => x).ToArray(), [n, d]);
        using var ct = tensor(c.SelectMany(x => x).ToArray(), [n, d]);
        foreach (var pool in new[] { 4, 5, 10 })
            Assert.Equal(Brute(pool), FineTuner.MrrInPools(qt, ct, pool), 12);
        Assert.Throws<ArgumentException>(() => FineTuner.MrrInPools(qt, ct, 11));
    }

    [Theory]
    [InlineData(2, 32, 300)]
    [InlineData(6, 128, 8192)]
    public void The_three_encoders_are_sized_within_five_percent(int layers, int dModel, int vocab)
    {
        var common = new TrainOptions { Arch = "bigs", Objective = Objective.Mlm, Layers = layers, DModel = dModel, Heads = 2, DState = 8, SeqLen = 64, Steps = 1 };
        var sizes = StudySizing.Sizes(common, vocab, convKernel: 4);
        Assert.Equal(StudySizing.Roles, sizes.Select(s => s.Role));
        Assert.True(sizes.Max(s => s.Parameters) <= sizes.Min(s => s.Parameters) * 1.05, string.Join(", ", sizes.Select(s => $"{s.Role} {s.Parameters}")));
        Assert.Equal(4 * dModel, sizes[0].Options.DMlp);
        Assert.Equal(sizes[0].Options.DMlp, sizes[2].Options.DMlp);
        Assert.InRange(sizes[1].Options.DMlp!.Value, 5 * dModel, 7 * dModel);                  // 3·d·m_bigs ≈ 2·d·m_rocoder
        Assert.Equal(StudySizing.Count(sizes[1].Options, vocab), sizes[1].Parameters);
    }

    [Fact]
    public void A_functions_jsonl_is_a_corpus_source_of_one_document_per_line()
    {
        using var run = new TinyRun(files: 2);
        var path = dir.File("train.jsonl");
        var units = new[] { "def a():\n    return 1", "def b():\n    return 2", "def a():\n    return 1" }
            .Select(c => new FunctionUnit { Path = "x.py", Name = "f", Code = c, CodeWithoutDocstring = c }).ToList();
        Jsonl.Write(path, units, FunctionUnit.WriteJson);
        var source = CorpusSource.Parse(path, "*.py");
        Assert.Equal(CorpusSource.JsonlGlob, source.Glob);
        var cache = TokenCache.OpenOrBuild([source], 0, run.Tokenizer, dir.File("cache"));
        Assert.Equal(["train.jsonl:1", "train.jsonl:2"], cache.Manifest.Files.Select(f => f.Path));
        Assert.Equal(["train.jsonl:3"], cache.Manifest.Duplicates.Select(Path.GetFileName));
        int[] expected = [.. run.Tokenizer.Encode(units[0].Code), run.Tokenizer.Separator, .. run.Tokenizer.Encode(units[1].Code), run.Tokenizer.Separator];
        Assert.Equal(expected, cache.Tokens);
        File.WriteAllText(dir.File("corpus.json"), """{"sources": [{"path": "train.jsonl"}]}""");                    // the same through a corpus manifest
        var spec = CorpusSpec.Load(dir.File("corpus.json"));
        Assert.Equal((path, CorpusSource.JsonlGlob), (spec.Sources[0].Root, spec.Sources[0].Glob));
    }

    [Fact]
    public void Reproduce_sh_trains_three_tiny_encoders_fine_tunes_each_twice_and_writes_a_loadable_manifest()
    {
        var script = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../models/ssm-interpret/reproduce.sh"));
        Assert.True(File.Exists(script), $"expected {script}");
        var exe = Path.Combine(AppContext.BaseDirectory, "SharpLens.Cli");
        var cli = File.Exists(exe) ? exe : $"dotnet {Path.Combine(AppContext.BaseDirectory, "SharpLens.Cli.dll")}";
        var src = WriteCorpus(dir.File("src"), 24);
        var outDir = dir.File("models");
        var env = new Dictionary<string, string>
        {
            ["SHARPLENS"] = cli, ["SOURCES"] = src, ["OUT"] = outDir, ["WORK"] = dir.File("work"), ["VALID"] = "0.2", ["TEST"] = "0.35",
            ["VOCAB"] = "320", ["TOKENS"] = "768", ["LAYERS"] = "2", ["D_MODEL"] = "32", ["HEADS"] = "2", ["D_STATE"] = "8", ["SEQ_LEN"] = "32",
            ["BATCH"] = "4", ["WARMUP"] = "2", ["THREADS"] = "1", ["EVAL_MLM_MAX"] = "20", ["FT_STEPS"] = "2", ["FT_BATCH"] = "4", ["FT_SEQ_LEN"] = "32",
            ["TYPES"] = "6", ["EVAL_PAIRS"] = "12", ["POOL"] = "6",
        };
        var (code, output) = Bash(script, env);
        Assert.True(code == 0, output);

        var manifest = StudyManifest.Load(Path.Combine(outDir, "manifest.json"));
        Assert.Equal(["codessm/pretrained", "codessm/typeinf", "codessm/search", "rocoder/pretrained", "rocoder/typeinf", "rocoder/search",
                      "codessm-hf/pretrained", "codessm-hf/typeinf", "codessm-hf/search"], manifest.Entries.Select(e => e.Name));
        var runs = StudySizing.Roles.Select(r => JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, r, "run.json")))!).ToList();
        foreach (var key in new[] { "seq_len", "batch", "steps", "tokens", "lr", "min_lr", "warmup", "seed", "layers", "d_model" })
            Assert.Single(runs.Select(r => r[key]!.ToJsonString()).Distinct());
        Assert.Single(runs.Select(r => r["corpus"]!["manifest_sha256"]!.GetValue<string>()).Distinct());           // same data stream
        Assert.Equal(CorpusSource.JsonlGlob, runs[0]["corpus"]!["sources"]![0]!["glob"]!.GetValue<string>());
        var parameters = runs.Select(r => r["parameters"]!.GetValue<long>()).ToList();
        Assert.True(parameters.Max() <= parameters.Min() * 1.05, string.Join(", ", parameters));
        foreach (var role in StudySizing.Roles)
        {
            var mlm = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, role, "mlm_eval.json")))!["files"]!.AsArray();
            Assert.Equal(2, mlm.Count);
            Assert.All(mlm, f => Assert.InRange(f!["accuracy"]!.GetValue<double>(), 0, 1));
            var ti = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, role + "-typeinf", "finetune_result.json")))!;
            Assert.Equal("TypeInference", ti["task"]!.GetValue<string>());
            Assert.InRange(ti["accuracy"]!.GetValue<double>(), 0, 1);
            Assert.InRange(ti["macro_f1"]!.GetValue<double>(), 0, 1);
            var cs = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, role + "-search", "finetune_result.json")))!;
            Assert.Equal(6, cs["pool"]!.GetValue<int>());
            Assert.Equal(2, cs["pools"]!.GetValue<int>());
            Assert.InRange(cs["mrr"]!.GetValue<double>(), 1.0 / 6, 1);
        }
        var typeinf = Path.Combine(outDir, "codessm-hf-typeinf");
        Assert.Equal(0, Support.Cli.Run("verify", typeinf, Path.Combine(typeinf, "reference.safetensors")).Code);
        Assert.False(Directory.Exists(Path.Combine(outDir, "codessm", "checkpoint")));                           // optimiser state stays in WORK
        foreach (var folder in new[] { "rocoder", "rocoder-typeinf", "codessm-hf-search" })                     // EXPORT_DTYPE defaults to bfloat16
        {
            using var weights = SharpLens.Loading.SafeTensorsFile.Open(Path.Combine(outDir, folder, "model.safetensors"));
            Assert.All(weights.Entries.Values, e => Assert.Equal("BF16", e.DType));
        }

        var again = Bash(script, env);                                                                          // resumable: everything is skipped
        Assert.True(again.Code == 0, again.Output);
        Assert.Equal(10, Regex.Matches(again.Output, "skip: ").Count);
    }

    static (int Code, string Output) Bash(string script, IReadOnlyDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}
