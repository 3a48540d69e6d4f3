// `sharplens ssm-study` end to end on tiny random models: every file written, numbers recomputable, the cache reused.
using System.Numerics;
using System.Text.Json.Nodes;
using SharpLens.Architectures.Bigs;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Tests.Support;

namespace SharpLens.Tests.SsmInterpret;

public sealed class SsmStudyCommandTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    const int KernelLength = 256;

    (int Code, string Stderr) Study(string manifest, string output, params string[] extra) =>
        Support.Cli.Run(["ssm-study", "--manifest", manifest, "--out", output, "--pairs-dir", dir.File("pairs"), "--kernel-length", $"{KernelLength}",
            "--clusters-per-label", "4", "--linear-steps", "20", .. extra]);

    /// <summary>A report file without its timings (stage seconds, feature and probe seconds), the one thing a rerun cannot reproduce.</summary>
    static string WithoutSeconds(string file)
    {
        var text = File.ReadAllText(file);
        if (file.EndsWith(".csv"))
        {
            var lines = text.Split('\n');
            int col = Array.IndexOf(lines[0].Split(','), "seconds");
            return col < 0 ? text : string.Join("\n", lines.Select(l => string.Join(",", l.Split(',').Where((_, i) => i != col))));
        }
        if (file.EndsWith(".json"))
        {
            var json = JsonNode.Parse(text)!;
            json.AsObject().Remove("stage_seconds");
            foreach (var row in json["features"]!.AsArray().Concat(json["probes"]!.AsArray())) row!.AsObject().Remove("seconds");
            return json.ToJsonString();
        }
        text = System.Text.RegularExpressions.Regex.Replace(text, @"Stage times \(s\): [^<]*", "");
        return System.Text.RegularExpressions.Regex.Replace(text, @"<td>[0-9.]+</td></tr>", "</tr>");          // a probe row's last cell: its seconds
    }

    [Fact]
    public void Sharded_three_ways_and_merged_the_study_writes_the_unsharded_runs_numbers()
    {
        // Given a pretrained CodeSSM and its fine-tuned variant: 2 models × 3 tasks × 4 layers = 24 probe units, cut into
        // 3 shards of 8 (the second holds the fine-tuned model's first unit, so it computes that model's spectra)
        var manifest = StudyFolders.Create(dir.Path, [("codessm", "codessm", "pretrained", null), ("codessm-typeinf", "codessm", "typeinf", "codessm")]);
        string reference = dir.File("reference"), run = dir.File("run");
        Assert.Equal(0, Study(manifest, reference, "--no-cache").Code);

        foreach (var i in new[] { 1, 2, 0 })
        {
            var (c, err) = Study(manifest, run, "--shard", $"{i}/3");                        // the shards share RUN/feature-cache
            Assert.True(c == 0, err);
        }
        var (code, stderr) = Support.Cli.Run("merge", run);

        Assert.True(code == 0, stderr);
        foreach (var f in SsmStudyReport.Files)
            Assert.Equal(WithoutSeconds(Path.Combine(reference, f)), WithoutSeconds(Path.Combine(run, f)));
        Assert.Equal(2 * 3 * 4 * 2, JsonNode.Parse(File.ReadAllText(Path.Combine(run, "results.json")))!["probes"]!.AsArray().Count);
        (code, stderr) = Study(manifest, dir.File("run25"), "--shard", "0/25");
        Assert.Equal(2, code);
        Assert.Contains("--shard: 25 shards are more than the work units: expected at most 24", stderr);
        Assert.False(Directory.Exists(dir.File("run25")));
    }

    [Fact]
    public void Slurm_writes_a_shard_array_and_its_merge_and_bounds_the_array_by_the_probe_units()
    {
        // Given one 4-layer CodeSSM and 3 tasks: 12 (model, task, layer) units
        var manifest = StudyFolders.Create(dir.Path, [("codessm", "codessm", "pretrained", null)]);
        var run = dir.File("run");
        string[] Slurm(int array) => ["slurm", "ssm-study", "--out", run, "--array", $"{array}", "--sharplens", "/opt/sharplens/sharplens",
            "--", "--manifest", manifest, "--pairs-dir", dir.File("pairs"), "--kernel-length", $"{KernelLength}"];

        var (code, stderr) = Support.Cli.Run(Slurm(13));
        Assert.Equal(2, code);
        Assert.Contains("--array: 13 shards are more than the work units: expected at most 12", stderr);
        Assert.False(Directory.Exists(run));

        (code, stderr) = Support.Cli.Run(Slurm(12));
        Assert.True(code == 0, stderr);
        var batch = File.ReadAllText(Path.Combine(run, "slurm", "ssm-study.sbatch"));
        Assert.Contains("exec \"${SHARPLENS[@]}\" ssm-study \"${STUDY[@]}\" --out \"$RUN\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\" ;;", batch);
        Assert.Contains($"  --manifest {manifest}\n", batch);
        Assert.Contains($"cd {Directory.GetCurrentDirectory()}", batch);
        var submit = File.ReadAllText(Path.Combine(run, "slurm", "submit.sh"));
        Assert.Contains("SSM_ARRAY=${SSM_ARRAY-0-11}", submit);
        Assert.Contains("[ -z \"$SSM_ARRAY\" ] || submit ssm --array=\"$SSM_ARRAY\"", submit);
        Assert.True(submit.IndexOf("submit ssm ", StringComparison.Ordinal) < submit.IndexOf("submit merge", StringComparison.Ordinal));
    }

    [Fact]
    public void Full_study_writes_every_file_and_its_numbers_can_be_recomputed()
    {
        var models = StudyFolders.All.Append(("mamba", "mamba", "pretrained", null)).ToList();
        var manifest = StudyFolders.Create(dir.Path, models);
        var output = dir.File("out");
        var (code, stderr) = Study(manifest, output);
        Assert.True(code == 0, stderr);
        foreach (var f in SsmStudyReport.Files) Assert.True(File.Exists(Path.Combine(output, f)), f);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "results.json")))!;

        // probes: 10 models × 3 tasks × distinct mapped layers × 2 probes (4-layer models probe 0..3, the 2-layer Mamba 0..1)
        var probes = json["probes"]!.AsArray();
        Assert.Equal((9 * 4 + 2) * 3 * 2, probes.Count);
        Assert.Equal(10 * 6, json["layer_map"]!.AsArray().Count);
        // spectra: 6 BiGS models × 4 layers × fwd/bwd, plus 2 Mamba layers; shifts: 4 fine-tuned BiGS × 8 kernels
        var kernels = json["kernels"]!.AsArray();
        Assert.Equal(6 * 8 + 2, kernels.Count);
        Assert.Equal(32, json["shifts"]!.AsArray().Count);
        Assert.Contains(json["notes"]!.AsArray(), n => n!.GetValue<string>() == "rocoder/pretrained: RoFormerForMaskedLM has no SSM kernels; spectra skipped");
        Assert.Equal(10, json["claims"]!.AsArray().Count);
        var fix = json["claims"]!.AsArray().Single(c => c!["topic"]!.GetValue<string>().StartsWith("the short-convolution fix"))!;
        Assert.Equal("MRR CodeSSM 0.370 vs CodeSSM-HF 0.420: +5.0 points", fix["this_model"]!.GetValue<string>());
        Assert.StartsWith("agrees", fix["verdict"]!.GetValue<string>());

        // one kernel recomputed from the parameters, independently of S4dKernel.Materialize and torch's FFT
        var k = kernels.Single(x => x!["model"]!.GetValue<string>() == "codessm/pretrained" && x["layer"]!.GetValue<int>() == 1 && x["direction"]!.GetValue<string>() == "fwd")!;
        var (dominant, centroid, ratio) = Spectrum(Kernel(Path.Combine(dir.Path, "codessm"), 1, KernelLength));
        Assert.Equal(dominant, k["dominant_frequency"]!.GetValue<double>(), 9);
        Assert.Equal(centroid, k["centroid"]!.GetValue<double>(), 5);              // kernel in float32 in the model, float64 here
        Assert.Equal(ratio, k["log10_low_high_ratio"]!.GetValue<double>(), 3);

        // DirectProbe's test accuracy is 1-nearest-neighbour over training vectors: recompute it from the cached features
        foreach (var task in new[] { "sibling", "dataflow" })
        {
            var (x, labels, train) = Cached(output, "codessm-typeinf", task, 2);
            double acc = OneNearestNeighbour(x, labels, train);
            var row = probes.Single(p => p!["model"]!.GetValue<string>() == "codessm/typeinf" && p["task"]!.GetValue<string>() == task
                && p["layer"]!.GetValue<int>() == 2 && p["probe"]!.GetValue<string>() == "directprobe")!;
            Assert.Equal(acc, row["test_accuracy"]!.GetValue<double>(), 12);
        }

        var html = File.ReadAllText(Path.Combine(output, "report.html"));
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.Contains("centroid vs log10 low/high energy", html);
        Assert.Contains("codessm layer 3 bwd", html);
        Assert.Contains("mamba layer 1 causal", html);
        Assert.Equal(1 + probes.Count, File.ReadAllLines(Path.Combine(output, "probes.csv")).Length);

        // a rerun with other probe settings reads every feature from the cache and reproduces the linear probe
        var again = dir.File("again");
        Assert.Equal(0, Study(manifest, again, "--probe", "linear", "--cache", Path.Combine(output, "feature-cache")).Code);
        var json2 = JsonNode.Parse(File.ReadAllText(Path.Combine(again, "results.json")))!;
        Assert.All(json2["features"]!.AsArray(), f => Assert.True(f!["cached"]!.GetValue<bool>()));
        var linear = probes.Where(p => p!["probe"]!.GetValue<string>() == "linear").Select(p => p!["test_accuracy"]!.GetValue<double>()).ToList();
        Assert.Equal(linear, json2["probes"]!.AsArray().Select(p => p!["test_accuracy"]!.GetValue<double>()));
    }

    /// <summary>K[ℓ] = Re Σ_n C̃_n·exp(Δ·A_n·ℓ) with C̃_n = C_n·(exp(Δ·A_n) − 1)/A_n, from the saved parameters (STUDIES.md).</summary>
    static double[] Kernel(string modelDir, int layer, int length)
    {
        using var model = (BigsForMaskedLM)ModelLoader.Load(modelDir);
        var s4 = model.bigs.encoder.Layers.ElementAt(layer).fs4.kernel;
        var c = s4.C.data<float>().ToArray();
        double dt = Math.Exp(s4.log_step.data<float>()[0]);
        var re = s4.A_re.data<float>().ToArray();
        var im = s4.A_im.data<float>().ToArray();
        var k = new double[length];
        for (int n = 0; n < re.Length; n++)
        {
            var a = new Complex(Math.Min(re[n], -1e-4), im[n]);
            var ct = new Complex(c[2 * n], c[2 * n + 1]) * (Complex.Exp(dt * a) - 1) / a;
            for (int l = 0; l < length; l++) k[l] += (ct * Complex.Exp(dt * a * l)).Real;
        }
        return k;
    }

    /// <summary>Naive DFT magnitude, then dominant frequency, centroid and log10 low/high energy ratio as STUDIES.md defines them.</summary>
    static (double Dominant, double Centroid, double Ratio) Spectrum(double[] k)
    {
        int len = k.Length, bins = len / 2 + 1;
        var mag = new double[bins];
        for (int f = 0; f < bins; f++)
        {
            Complex s = 0;
            for (int t = 0; t < len; t++) s += k[t] * Complex.Exp(new Complex(0, -2 * Math.PI * f * t / len));
            mag[f] = s.Magnitude;
        }
        int dom = Array.IndexOf(mag, mag.Max());
        double centroid = Enumerable.Range(0, bins).Sum(f => (double)f / len * mag[f]) / mag.Sum();
        double low = mag.Take((int)Math.Floor(0.1 * bins)).Sum(m => m * m), high = mag.Skip((int)Math.Floor(0.6 * bins)).Sum(m => m * m);
        return ((double)dom / len, centroid, Math.Log10(low / high));
    }

    static (float[][] X, string[] Labels, bool[] Train) Cached(string output, string model, string task, int layer)
    {
        var folder = Directory.GetDirectories(Path.Combine(output, "feature-cache")).Single(d => Path.GetFileName(d).StartsWith(model + "-") && Path.GetFileName(d).Contains($"-{task}-"));
        var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "meta.json")))!;
        var labels = meta["labels"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray();
        var train = meta["is_train"]!.AsArray().Select(l => l!.GetValue<bool>()).ToArray();
        int width = meta["width"]!.GetValue<int>();
        var bytes = File.ReadAllBytes(Path.Combine(folder, $"L{layer}.f32"));
        Assert.Equal(labels.Length * width * 4, bytes.Length);
        var x = Enumerable.Range(0, labels.Length).Select(i => Enumerable.Range(0, width).Select(j => BitConverter.ToSingle(bytes, (i * width + j) * 4)).ToArray()).ToArray();
        return (x, labels, train);
    }

    static double OneNearestNeighbour(float[][] x, string[] labels, bool[] train)
    {
        var tr = Enumerable.Range(0, x.Length).Where(i => train[i]).ToList();
        var te = Enumerable.Range(0, x.Length).Where(i => !train[i]).ToList();
        double Dist(int a, int b) => x[a].Zip(x[b], (p, q) => (double)(p - q) * (p - q)).Sum();
        return te.Count(t => labels[tr.MinBy(i => Dist(t, i))] == labels[t]) / (double)te.Count;
    }
}
