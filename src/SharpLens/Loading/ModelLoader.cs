// Opens a Hugging Face checkpoint folder: config.json → architecture (the family of its model_type) → strict load.
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Loading;

/// <summary>Options for <see cref="ModelLoader.Load"/>.</summary>
public sealed record LoadOptions
{
    /// <summary>Parameter dtype: Float32 (default, exact) or BFloat16 (half the memory). F16 checkpoints are converted.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;
}

/// <summary>An architecture: builds the model from its config and declares how checkpoint keys map to parameters.</summary>
public sealed record Architecture(HookedModel Model, CheckpointMap Map);

/// <summary>Loads models from Hugging Face checkpoint folders.</summary>
public static class ModelLoader
{
    /// <summary>model_type values SharpLens can load (one <see cref="IModelFamily"/> each).</summary>
    public static IReadOnlyList<string> SupportedModelTypes => ModelFamilies.ModelTypes;

    /// <summary>Builds an architecture from a config (parameters uninitialised; load or init them next).</summary>
    public static Architecture Create(HfConfig config) => ModelFamilies.Of(ref config).Create(config);

    /// <summary>Loads a model folder (config.json + model.safetensors, or an index + shards, or a PyTorch zip state dict).</summary>
    public static HookedModel Load(string directory, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        if (options.DType is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"dtype {options.DType} is not supported for models (use float32 or bfloat16; float16 matmul on CPU is ~50x slower)");
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model folder not found: {directory}");
        var config = HfConfig.Load(System.IO.Path.Combine(directory, "config.json"));
        ITensorSource opened;
        string sourceName;
        try { opened = OpenWeights(directory, out sourceName); }
        catch (FileNotFoundException)
        {
            ValidateConfig(config);   // a bad config is the first thing to report, even in a folder without weights
            throw;
        }
        using var source = opened;
        // Sizes come from untrusted files: the weights must fit in memory, and the model the config describes may not
        // allocate far beyond what the weights declare (checked per parameter, before each allocation).
        long elements = DeclaredElements(source, sourceName);
        int elementSize = options.DType == ScalarType.BFloat16 ? 2 : 4;
        InputLimits.RequireMemory(elements > long.MaxValue / elementSize ? long.MaxValue : elements * elementSize, $"{sourceName} ({elements:N0} elements as {options.DType})");
        Architecture arch;
        using (Nn.Params.Use(options.DType))
        using (Nn.Params.Limit(InputLimits.ParameterBudget(elements), $"{config.Path} describes a larger model than {sourceName} holds ({elements:N0} elements)"))
            arch = Create(config);
        try
        {
            arch.Model.LoadReport = StrictLoader.Load(arch.Model, source, arch.Map, options.DType, sourceName);
        }
        catch { arch.Model.Dispose(); throw; }
        arch.Model.SourceDirectory = directory;
        arch.Model.eval();
        return arch.Model;
    }

    /// <summary>Runs the config checks of <see cref="Create"/> without allocating: every parameter is refused, and that
    /// refusal (the first allocation) means the config itself passed.</summary>
    static void ValidateConfig(HfConfig config)
    {
        try
        {
            using (Nn.Params.Limit(0, config.Path)) Create(config).Model.Dispose();
        }
        catch (Nn.ParameterBudgetException) { }
    }

    static long DeclaredElements(ITensorSource source, string sourceName)
    {
        long total = 0;
        foreach (var key in source.Keys)
        {
            long n = 1;
            foreach (var d in source.Shape(key))
                n = d < 0 || (d != 0 && n > long.MaxValue / d) ? throw new CheckpointFormatException($"{sourceName}: tensor '{key}' has an invalid shape") : n * d;
            total = total > long.MaxValue - n ? long.MaxValue : total + n;
        }
        return total;
    }

    /// <summary>
    /// The files a load reads: config.json and the weights <see cref="OpenWeights"/> picks (an index with its shards), so
    /// a hash over them identifies the model.
    /// </summary>
    public static IReadOnlyList<string> WeightFiles(string directory)
    {
        using var source = OpenWeights(directory, out var name);
        var files = new List<string> { System.IO.Path.Combine(directory, "config.json"), name };
        if (name.EndsWith(".index.json", StringComparison.Ordinal))                      // OpenWeights checked the index and its shards
            files.AddRange(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(name))!["weight_map"]!.AsObject()
                .Select(kv => kv.Value!.GetValue<string>()).Distinct().OrderBy(f => f, StringComparer.Ordinal).Select(f => System.IO.Path.Combine(directory, f)));
        return files;
    }

    /// <summary>Opens the weights of a folder: model.safetensors, model.safetensors.index.json + shards, pytorch_model.bin,
    /// model.bin or exactly one *.pth (PyTorch zip, read by a restricted unpickler), in that order of preference.</summary>
    public static ITensorSource OpenWeights(string directory, out string sourceName)
    {
        var single = System.IO.Path.Combine(directory, "model.safetensors");
        var index = System.IO.Path.Combine(directory, "model.safetensors.index.json");
        if (File.Exists(single)) { sourceName = single; return SafeTensorsFile.Open(single); }
        if (File.Exists(index)) { sourceName = index; return ShardIndex.Open(index); }
        foreach (var name in new[] { "pytorch_model.bin", "model.bin" })
        {
            var bin = System.IO.Path.Combine(directory, name);
            if (File.Exists(bin)) { sourceName = bin; return TorchZipStateDict.Open(bin); }
        }
        var pth = Directory.GetFiles(directory, "*.pth");
        if (pth.Length == 1) { sourceName = pth[0]; return TorchZipStateDict.Open(pth[0]); }
        if (pth.Length > 1)
            throw new CheckpointFormatException($"{directory}: {pth.Length} .pth files ({string.Join(", ", pth.Select(System.IO.Path.GetFileName))}); expected exactly one");
        throw new FileNotFoundException($"{directory}: no weights found (expected model.safetensors, model.safetensors.index.json + shards, pytorch_model.bin, model.bin or one *.pth)");
    }
}

/// <summary>model.safetensors.index.json + its shards.</summary>
internal static class ShardIndex
{
    public static ITensorSource Open(string indexPath)
    {
        System.Text.Json.Nodes.JsonNode? node;
        try { node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(indexPath)); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{indexPath}: malformed JSON ({e.Message})"); }
        var map = node?["weight_map"] as System.Text.Json.Nodes.JsonObject
            ?? throw new InvalidDataException($"{indexPath}: expected an object 'weight_map'");
        var weightMap = map.ToDictionary(kv => kv.Key, kv => kv.Value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var f) ? f
            : throw new InvalidDataException($"{indexPath}: weight_map['{kv.Key}'] should be a shard file name, found {kv.Value?.ToJsonString() ?? "null"}"));
        var dir = System.IO.Path.GetDirectoryName(indexPath)!;
        var files = weightMap.Values.Distinct().OrderBy(f => f, StringComparer.Ordinal).ToList();
        var shards = new List<ITensorSource>();
        try
        {
            foreach (var f in files)
            {
                if (f.Contains('/') || f.Contains('\\')) throw new InvalidDataException($"{indexPath}: shard name '{f}' must be a file name in the same folder");
                shards.Add(SafeTensorsFile.Open(System.IO.Path.Combine(dir, f)));
            }
            return new CompositeTensorSource(shards, weightMap, s => ((SafeTensorsFile)s).Path);
        }
        catch { foreach (var s in shards) s.Dispose(); throw; }
    }
}
