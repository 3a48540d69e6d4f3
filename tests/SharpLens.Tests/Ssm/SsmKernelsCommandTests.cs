// `sharplens ssm-kernels` end to end on the bigs and mamba fixtures: every file written and readable.
using System.Text.Json.Nodes;
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Ssm;

public sealed class SsmKernelsCommandTests : IDisposable
{
    readonly string outDir = Path.Combine(Path.GetTempPath(), "sharplens-ssmk-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() { if (Directory.Exists(outDir)) Directory.Delete(outDir, true); }

    static int Invoke(params string[] args) => Support.Cli.Run(args).Code;

    [FixtureFact]
    public void Bigs_with_compare_writes_json_csv_report_and_plots()
    {
        var bigs = Fixtures.Model("bigs");
        Assert.Equal(0, Invoke("ssm-kernels", bigs, "--compare", bigs, "--length", "1024", "--out", outDir));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "kernels.json")))!;
        var models = json["models"]!.AsArray();
        Assert.Equal(2, models.Count);
        var kernels = models[0]!["kernels"]!.AsArray();
        Assert.Equal(4, kernels.Count);                                                   // 2 layers × fwd/bwd
        Assert.Equal(513, kernels[0]!["n_bins"]!.GetValue<int>());
        Assert.Equal(8, kernels[0]!["poles"]!.AsArray().Count);
        Assert.Equal(4, json["changes"]!.AsArray().Count);
        Assert.All(json["changes"]!.AsArray(), c => Assert.Equal(0.0, c!["centroid_change"]!.GetValue<double>()));
        var csv = File.ReadAllLines(Path.Combine(outDir, "kernels.csv"));
        Assert.StartsWith("model,kind,layer,direction", csv[0]);
        Assert.Equal(1 + 8, csv.Length);
        Assert.Contains("S4D kernels materialised", File.ReadAllText(Path.Combine(outDir, "report.md")));
        foreach (var ext in new[] { "png", "svg" })
        {
            Assert.True(new FileInfo(Path.Combine(outDir, "centroid_vs_ratio." + ext)).Length > 1000);
            Assert.Equal(8, Directory.GetFiles(Path.Combine(outDir, "plots"), "*." + ext).Length);
        }
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir, "centroid_vs_ratio.svg")));
    }

    [FixtureFact]
    public void Mamba_reports_effective_input_dependent_kernels()
    {
        var inputs = Path.Combine(Path.GetTempPath(), "sharplens-inputs-" + Guid.NewGuid().ToString("N")[..6] + ".jsonl");
        File.WriteAllLines(inputs, ["{\"input_ids\": [1, 5, 9, 33, 2, 7, 100, 64, 3, 3, 12, 90]}", "{\"input_ids\": [4, 8, 15, 16, 23, 42]}"]);
        try
        {
            Assert.Equal(0, Invoke("ssm-kernels", Fixtures.Model("mamba"), "--inputs", inputs, "--out", outDir));
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "kernels.json")))!;
            var model = json["models"]!.AsArray()[0]!;
            Assert.Equal("mamba-effective", model["kind"]!.GetValue<string>());
            Assert.Equal(12, model["length"]!.GetValue<int>());                           // lags = longest input
            Assert.Equal(2, model["kernels"]!.AsArray().Count);
            Assert.Equal(64, model["kernels"]![0]!["channel_classes"]!.AsObject().Sum(kv => kv.Value!.GetValue<int>())); // d_inner channels
            Assert.Contains("effective input-dependent kernels", File.ReadAllText(Path.Combine(outDir, "report.md")));
            Assert.True(File.Exists(Path.Combine(outDir, "centroid_vs_ratio.png")));
            Assert.True(File.Exists(Path.Combine(outDir, "kernels.csv")));
        }
        finally { File.Delete(inputs); }
    }
}
