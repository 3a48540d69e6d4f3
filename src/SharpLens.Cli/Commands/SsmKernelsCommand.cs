// `sharplens ssm-kernels`: SSM-Interpret kernel spectra of BiGS/CodeSSM (S4D) or Mamba (effective kernels) models.
using SharpLens.Reports;
using System.CommandLine;
using System.Text.Json.Nodes;
using SharpLens.Analysis.Spectra;
using SharpLens.Architectures.Bigs;
using SharpLens.Architectures.Mamba;
using SharpLens.Loading;

namespace SharpLens.Cli.Commands;

internal static class SsmKernelsCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model-dir") { Description = "model folder (config.json + weights): BiGS/CodeSSM or Mamba" };
        var compare = new Option<string[]>("--compare")
        {
            Description = "further model folders to compare with the first (e.g. a fine-tuned checkpoint)",
            AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [],
        };
        var length = new Option<int>("--length") { Description = "kernel length L for S4D kernels (n_bins = L/2+1); for Mamba the maximum lag", DefaultValueFactory = _ => 4096 };
        var inputs = new Option<string?>("--inputs") { Description = "Mamba only: JSONL with one {\"input_ids\": [...]} per line (default: 8 random sequences of 64 tokens, seed 0)" };
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var cmd = new Command("ssm-kernels", "Spectra of SSM convolution kernels (SSM-Interpret): dominant frequency, centroid, low/high energy, filter class, poles.")
        {
            model, compare, length, inputs, outDir,
        };
        cmd.SetAction(parse =>
        {
            var dirs = new[] { parse.GetValue(model)! }.Concat(parse.GetValue(compare) ?? []).ToList();
            int len = CliCommon.InRange(parse.GetValue(length), 2, MaxLength, "--length");
            var output = CliCommon.OutputFolder(parse.GetValue(outDir)!, "--out");
            var inputFile = parse.GetValue(inputs);
            var results = new List<ModelKernels>();
            foreach (var dir in dirs)
            {
                using var m = ModelLoader.Load(dir);
                var label = Path.GetFileName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar));
                results.Add(m switch
                {
                    BigsForMaskedLM b => SsmKernelAnalysis.Bigs(b, label, len),
                    MambaForCausalLM mb => SsmKernelAnalysis.Mamba(mb, label, Math.Min(len, 4096),
                        inputFile is null ? SsmKernelAnalysis.RandomInputs(mb.Config.VocabSize, 8, 64) : ReadInputs(inputFile, mb.Config.VocabSize)),
                    _ => throw new NotSupportedException($"{dir}: {m.Info.Architecture} has no SSM kernels (BiGS and Mamba models do)"),
                });
            }
            var files = CliCommon.WriteFolder(output, tmp => SpectraReport.Write(tmp, results));
            foreach (var r in results.Where(r => r.Kind == "mamba-effective"))
                Console.WriteLine($"{r.Label}: Mamba is a selective SSM; analysed its effective input-dependent kernels ({r.Length} lags).");
            Console.WriteLine(SpectraReport.Table(results));
            Console.WriteLine($"wrote {Path.Combine(output, Path.GetFileName(files.Json))}, {Path.GetFileName(files.Csv)}, {Path.GetFileName(files.Report)} and {files.Plots.Count} plot files");
            return 0;
        });
        return cmd;
    }

    /// <summary>Longest kernel: L = 65,536 keeps one layer's kernels and spectra of a 1024-channel model under ~1 GiB.</summary>
    internal const int MaxLength = 65_536;
    /// <summary>Longest --inputs sequence (the Mamba analysis keeps every position's state).</summary>
    internal const int MaxInputTokens = 8_192;

    static List<long[]> ReadInputs(string path, int vocab)
    {
        var seqs = new List<long[]>();
        if (!File.Exists(path)) throw new FileNotFoundException($"inputs file not found: {path}", path);
        int line = 0;
        foreach (var text in SharpLens.Code.Utf8Text.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(text); }
            catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}:{line}: malformed JSON ({e.Message})"); }
            var ids = (node as JsonObject)?["input_ids"] as JsonArray
                ?? throw new InvalidDataException($"{path}:{line}: expected an object with an \"input_ids\" array of token ids");
            var arr = ids.Select(n => n is JsonValue v && v.TryGetValue<long>(out var id) ? id
                : throw new InvalidDataException($"{path}:{line}: input_ids holds {n?.ToJsonString() ?? "null"}, expected integer token ids")).ToArray();
            if (arr.Length is 0 or > MaxInputTokens)
                throw new InvalidDataException($"{path}:{line}: input_ids holds {arr.Length} ids, expected 1 to {MaxInputTokens}");
            if (arr.Any(i => i < 0 || i >= vocab)) throw new InvalidDataException($"{path}:{line}: token ids must lie in [0, {vocab})");
            seqs.Add(arr);
        }
        return seqs.Count > 0 ? seqs : throw new InvalidDataException($"{path}: expected at least one {{\"input_ids\": [...]}} line, found none");
    }
}
