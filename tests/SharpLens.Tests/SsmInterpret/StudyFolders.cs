// A tiny SSM-Interpret study on disk: random CodeSSM / RoCoder / CodeSSM-HF folders and variants, one tokenizer, pairs, a manifest.
using System.Text.Json.Nodes;
using SharpLens.Architectures.Bigs;
using SharpLens.Architectures.Mamba;
using SharpLens.Architectures.RoFormer;
using SharpLens.Code.Datasets;
using SharpLens.Loading;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Tests.SsmInterpret;

/// <summary>
/// Builds study folders under a root: each model is random-initialised (different seeds for "fine-tuned" variants, so
/// spectra and probes change) and saved as an HF folder with the same byte-level BPE tokenizer (vocab 300, trained on
/// <see cref="Python"/>). The numbers mean nothing; the tests check plumbing and recomputability.
/// </summary>
public static class StudyFolders
{
    /// <summary>The source the pairs and the tokenizer come from (the probe command tests' functions).</summary>
    public const string Python = Probes.ProbeCommandTests.Python;

    public const int Layers = 4;

    /// <summary>Writes the tokenizer, the pairs (ast-distance, sibling, dataflow) and the folders named in <paramref name="models"/>.</summary>
    public static string Create(string root, IReadOnlyList<(string Folder, string Role, string Variant, string? From)> models, int perLabel = 10)
    {
        var src = Path.Combine(root, "src");
        Directory.CreateDirectory(src);
        File.WriteAllText(Path.Combine(src, "m.py"), Python);
        var tok = Path.Combine(root, "tokenizer");
        new BpeTrainer(new BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 }).Train([Python]).Save(tok);
        var (functions, _) = ProbeFunctions.Extract(src, 20, seed: 1);
        Directory.CreateDirectory(Path.Combine(root, "pairs"));
        foreach (var task in ProbePairs.Tasks)
            Jsonl.Write(Path.Combine(root, "pairs", task + ".jsonl"), ProbePairs.Generate(task, functions, seed: 1, perLabel: perLabel).Pairs, ProbePair.WriteJson);
        int seed = 1;
        foreach (var (folder, role, variant, _) in models)
        {
            var dir = Path.Combine(root, folder);
            if (role == "rocoder") RoCoder(dir, seed++);
            else if (role == "mamba") Mamba(dir, seed++);
            else Bigs(dir, seed++, role == "codessm-hf" ? 3 : null);
            foreach (var f in Directory.GetFiles(tok)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            if (variant == "search") File.WriteAllText(Path.Combine(dir, "finetune_result.json"), $$"""{"Task": 1, "Mrr": {{(role == "codessm-hf" ? 0.42 : 0.37)}}}""");
            if (variant == "typeinf") File.WriteAllText(Path.Combine(dir, "finetune_result.json"), """{"Task": 0, "Accuracy": 0.61, "MacroF1": 0.33}""");
        }
        var manifest = Path.Combine(root, "manifest.json");
        File.WriteAllText(manifest, Manifest(models).ToJsonString());
        return manifest;
    }

    /// <summary>The manifest JSON for <paramref name="models"/>.</summary>
    public static JsonObject Manifest(IEnumerable<(string Folder, string Role, string Variant, string? From)> models) => new()
    {
        ["models"] = new JsonArray(models.Select(m =>
        {
            var o = new JsonObject { ["folder"] = m.Folder, ["role"] = m.Role, ["variant"] = m.Variant };
            if (m.From is not null) o["from"] = m.From;
            return (JsonNode)o;
        }).ToArray()),
    };

    /// <summary>The full study: three roles, each pretrained + typeinf + search.</summary>
    public static IReadOnlyList<(string, string, string, string?)> All { get; } =
        new[] { "codessm", "rocoder", "codessm-hf" }.SelectMany(r => new (string, string, string, string?)[]
            { (r, r, "pretrained", null), (r + "-typeinf", r, "typeinf", r), (r + "-search", r, "search", r) }).ToList();

    static void Bigs(string dir, int seed, int? conv)
    {
        Directory.CreateDirectory(dir);
        var json = $$"""{"model_type":"BiGS","hidden_size":16,"intermediate_size":32,"num_hidden_layers":{{Layers}},"num_ssm":4,"vocab_size":300,"max_position_embeddings":256,"pad_token_id":1{{(conv is int k ? $",\"conv_kernel_size\":{k}" : "")}}}""";
        using var m = (BigsForMaskedLM)BigsForMaskedLM.Create(HfConfig.FromJson(json)).Model;
        m.InitWeights(new Generator((ulong)seed));
        File.WriteAllText(Path.Combine(dir, "config.json"), m.Config.ToJson());
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), m.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList());
    }

    static void RoCoder(string dir, int seed)
    {
        Directory.CreateDirectory(dir);
        var json = $$"""
            {"model_type": "roformer", "vocab_size": 300, "embedding_size": 16, "hidden_size": 16, "num_attention_heads": 2,
             "num_hidden_layers": {{Layers}}, "intermediate_size": 32, "max_position_embeddings": 256, "layer_norm_eps": 1e-12, "pad_token_id": 1}
            """;
        using var m = (RoFormerForMaskedLM)RoFormerForMaskedLM.Create(HfConfig.FromJson(json)).Model;
        m.InitWeights(0.4, new Generator((ulong)seed));
        File.WriteAllText(Path.Combine(dir, "config.json"), m.Config.ToJson());
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), m.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Append(("roformer.encoder.embed_positions.weight", m.EmbedPositionsTable())).ToList());
    }

    static void Mamba(string dir, int seed)
    {
        Directory.CreateDirectory(dir);
        var json = """{"model_type":"mamba","hidden_size":16,"state_size":4,"num_hidden_layers":2,"vocab_size":300,"expand":2,"conv_kernel":4,"pad_token_id":1}""";
        using var m = (MambaForCausalLM)MambaForCausalLM.Create(HfConfig.FromJson(json)).Model;
        m.InitWeights(new Generator((ulong)seed));
        File.WriteAllText(Path.Combine(dir, "config.json"), m.Config.ToJson());
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), m.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList());
    }
}
