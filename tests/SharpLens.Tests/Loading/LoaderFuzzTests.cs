// Fuzzing the loaders (seeded mutations): mutated safetensors files, torch zip pickles and config.json documents raise only the
// documented exception types, within a bound on managed allocation (iteration counts kept small for a 2-core machine).
using System.Text;
using SharpLens.Loading;
using SharpLens.Nn;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Loading;

public sealed class LoaderFuzzTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sharplens-fuzz-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static readonly Type[] CheckpointErrors = [typeof(CheckpointFormatException)];

    /// <summary>What <see cref="ModelLoader.Create"/> documents for a bad config.json.</summary>
    static readonly Type[] ConfigErrors =
        [typeof(InvalidDataException), typeof(NotSupportedException), typeof(ParameterBudgetException), typeof(System.Text.Json.JsonException)];

    byte[] ValidSafetensors()
    {
        var path = Path.Combine(dir, "valid.safetensors");
        using var a = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var b = ones(4, dtype: ScalarType.BFloat16);
        using var c = tensor(new long[] { 7, 8 });
        SafeTensorsWriter.Write(path, [("a", a), ("b", b), ("c", c)]);
        return File.ReadAllBytes(path);
    }

    void OpenAndLoadSafetensors(byte[] bytes)
    {
        var path = Path.Combine(dir, "m.safetensors");
        File.WriteAllBytes(path, bytes);
        using var st = SafeTensorsFile.Open(path);
        foreach (var k in st.Keys) st.Load(k).Dispose();   // everything Open accepted must load
    }

    [Fact]
    public void Mutated_safetensors_bytes_raise_only_CheckpointFormatException()
    {
        var valid = ValidSafetensors();
        Mutations.Sample(Mutations.ByteEdits, edits =>
            Mutations.OnlyDocumented(() => OpenAndLoadSafetensors(Mutations.Apply(valid, edits)), CheckpointErrors, string.Join(", ", edits)),
            iter: 400, seed: 16);
    }

    [Fact]
    public void Mutated_safetensors_headers_raise_only_CheckpointFormatException()
    {
        var valid = ValidSafetensors();
        int headerLength = (int)BitConverter.ToUInt64(valid, 0);
        var header = Encoding.UTF8.GetString(valid, 8, headerLength);
        var data = valid[(8 + headerLength)..];
        Mutations.Sample(Mutations.JsonEdits, edits =>
        {
            var h = Encoding.UTF8.GetBytes(Mutations.Apply(header, edits));
            byte[] file = [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. data];
            Mutations.OnlyDocumented(() => OpenAndLoadSafetensors(file), CheckpointErrors, Encoding.UTF8.GetString(h));
        }, iter: 400, seed: 17);
    }

    (byte[] Pickle, List<(string, byte[])> Storages) ValidPickle()
    {
        var path = Path.Combine(dir, "valid.bin");
        using var w = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var b1 = ones(3);
        using var b2 = zeros(2);
        TorchZipWriter.WriteStateDict(path, [("layer.weight", w), ("layer.bias", b1), ("other.bias", b2)], wrapper: "model");
        using var zip = System.IO.Compression.ZipFile.OpenRead(path);
        byte[] Read(System.IO.Compression.ZipArchiveEntry e) { using var s = e.Open(); using var ms = new MemoryStream(); s.CopyTo(ms); return ms.ToArray(); }
        var pickle = Read(zip.GetEntry("archive/data.pkl")!);
        var storages = zip.Entries.Where(e => e.FullName.StartsWith("archive/data/", StringComparison.Ordinal))
            .Select(e => (e.FullName["archive/data/".Length..], Read(e))).ToList();
        return (pickle, storages);
    }

    void OpenAndLoadTorchZip(string path)
    {
        using var sd = TorchZipStateDict.Open(path);
        foreach (var k in sd.Keys) sd.Load(k).Dispose();
    }

    [Fact]
    public void Mutated_pickles_raise_only_CheckpointFormatException_and_never_execute()
    {
        var (pickle, storages) = ValidPickle();
        var path = Path.Combine(dir, "pytorch_model.bin");
        Mutations.Sample(Mutations.ByteEdits, edits =>
        {
            TorchZipWriter.Write(path, Mutations.Apply(pickle, edits), storages);
            Mutations.OnlyDocumented(() => OpenAndLoadTorchZip(path), CheckpointErrors, string.Join(", ", edits));
        }, iter: 400, seed: 18);
    }

    [Fact]
    public void Mutated_torch_zip_archives_raise_only_CheckpointFormatException()
    {
        var (pickle, storages) = ValidPickle();
        var valid = Path.Combine(dir, "valid.bin");
        TorchZipWriter.Write(valid, pickle, storages);
        var bytes = File.ReadAllBytes(valid);
        var path = Path.Combine(dir, "mutated.bin");
        Mutations.Sample(Mutations.ByteEdits, edits =>
        {
            File.WriteAllBytes(path, Mutations.Apply(bytes, edits));
            Mutations.OnlyDocumented(() => OpenAndLoadTorchZip(path), CheckpointErrors, string.Join(", ", edits));
        }, iter: 300, seed: 19);
    }

    static readonly string[] Configs =
    [
        """{"model_type": "llama", "hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 2, "vocab_size": 50, "max_position_embeddings": 64, "rope_scaling": {"rope_type": "linear", "factor": 2.0}}""",
        """{"model_type": "gpt2", "n_embd": 16, "n_head": 4, "n_layer": 2, "vocab_size": 50, "n_positions": 32, "activation_function": "gelu_new"}""",
        """{"model_type": "gpt_bigcode", "n_embd": 16, "n_head": 4, "n_layer": 1, "vocab_size": 50, "n_positions": 32, "multi_query": true}""",
        """{"model_type": "roberta", "hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 4, "num_hidden_layers": 1, "vocab_size": 50, "max_position_embeddings": 40, "pad_token_id": 1}""",
        """{"model_type": "roformer", "hidden_size": 16, "intermediate_size": 32, "num_attention_heads": 4, "num_hidden_layers": 1, "vocab_size": 50, "max_position_embeddings": 32}""",
        """{"model_type": "mamba", "hidden_size": 16, "state_size": 4, "num_hidden_layers": 2, "vocab_size": 50, "time_step_rank": "auto", "conv_kernel": 4}""",
        """{"model_type": "BiGS", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_ssm": 4, "vocab_size": 50, "max_position_embeddings": 32, "architectures": ["BiGSForMaskedLM"]}""",
    ];

    [Fact]
    public void Mutated_configs_raise_only_the_documented_exceptions_before_allocating_much()
    {
        foreach (var c in Configs) ModelLoader.Create(HfConfig.FromJson(c)).Model.Dispose();   // every seed is valid
        Mutations.Sample(r => (Which: r.Next(Configs.Length), Edits: Mutations.JsonEdits(r)), input =>
        {
            var (which, edits) = input;
            var json = Mutations.Apply(Configs[which], edits);
            Mutations.OnlyDocumented(() =>
            {
                // what the loader does with a checkpoint of 2^20 elements: parameters beyond the budget are refused
                using (Params.Limit(InputLimits.ParameterBudget(1 << 20), "fuzz")) ModelLoader.Create(HfConfig.FromJson(json)).Model.Dispose();
            }, ConfigErrors, json);
        }, iter: 500, seed: 20);
    }
}
