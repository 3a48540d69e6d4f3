// Activation datasets on disk: a CachePlan's rows streamed batch by batch into safetensors chunks, plus dataset.json.
using System.Text.Json;
using System.Text.Json.Serialization;
using SharpLens.Hooks;
using SharpLens.Loading;
using static TorchSharp.torch;

namespace SharpLens.Reports;

/// <summary>One chunk file of an activation dataset.</summary>
public sealed record ActivationChunk(string File, long Rows, long FirstPrompt);

/// <summary>dataset.json: what an activation dataset holds.</summary>
public sealed record ActivationDatasetInfo
{
    public required string Model { get; init; }
    /// <summary>Hook name → shape of one row (the activation's trailing dimensions).</summary>
    public required Dictionary<string, long[]> Hooks { get; init; }
    public required string DType { get; init; }
    public required string Positions { get; init; }
    public required long Prompts { get; init; }
    public required long Rows { get; init; }
    /// <summary>Bytes of activation data (all chunks, headers and row indices excluded).</summary>
    public required long Bytes { get; init; }
    public required IReadOnlyList<ActivationChunk> Chunks { get; init; }
}

/// <summary>
/// Writes an activation dataset: <c>FOLDER/chunk-00000.safetensors</c>, … each holding, for the rows of whole batches,
/// one tensor per hook ([rows, …] in the plan's dtype) and <c>prompt</c> / <c>position</c> ([rows] int64: the prompt's
/// index in the order added, the position among its real tokens); then <c>dataset.json</c>. A chunk is written when
/// its rows reach <c>chunkBytes</c>, so memory holds one chunk plus one forward pass however many prompts there are.
/// Every file appears only when complete; dataset.json last, so a folder without it is an interrupted run.
/// </summary>
public sealed class ActivationDatasetWriter : IDisposable
{
    public const string InfoFile = "dataset.json";
    readonly string folder;
    readonly CachePlan plan;
    readonly long chunkBytes;
    readonly List<ActivationRows> pending = new();
    readonly List<ActivationChunk> chunks = new();
    readonly Dictionary<string, long[]> rowShapes = new(StringComparer.Ordinal);
    string? model, dtype;
    long pendingBytes, pendingFirstPrompt, prompts, rows, bytes;
    bool completed;

    /// <summary>Starts a dataset in <paramref name="folder"/> (created; refused when it already holds a dataset or chunks).</summary>
    public ActivationDatasetWriter(string folder, CachePlan plan, long chunkBytes = 256L << 20)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (chunkBytes < 1) throw new ArgumentOutOfRangeException(nameof(chunkBytes), "chunk size must be positive");
        if (Directory.Exists(folder) && (File.Exists(Path.Combine(folder, InfoFile)) || Directory.EnumerateFiles(folder, "chunk-*.safetensors").Any()))
            throw new IOException($"{folder} already holds an activation dataset; choose an empty folder");
        Directory.CreateDirectory(folder);
        this.folder = folder;
        this.plan = plan;
        this.chunkBytes = chunkBytes;
    }

    /// <summary>Runs the model on one batch (ids [batch, pos], mask [batch, pos] with 1 for real tokens) and appends its rows.</summary>
    public void Add(HookedModel model, Tensor ids, Tensor? mask = null)
    {
        ObjectDisposedException.ThrowIf(completed, this);
        var batchRows = plan.Run(model, ids, mask);
        try
        {
            foreach (var name in batchRows.Cache.Names)
            {
                var t = batchRows.Cache[name];
                var shape = t.shape.Skip(1).ToArray();
                if (!rowShapes.TryGetValue(name, out var known)) rowShapes[name] = shape;
                else if (!known.SequenceEqual(shape))
                    throw new ArgumentException($"{name}: rows of [{string.Join(",", shape)}] after [{string.Join(",", known)}]; every batch must come from one model");
                pendingBytes += t.NumberOfElements * t.ElementSize;
                dtype ??= SafeTensorsWriter.DTypeName(t.dtype);
            }
            this.model ??= model.SourceDirectory ?? model.Info.Architecture;
            batchRows.Sequence.add_(prompts);                                                 // global prompt index
            pending.Add(batchRows);
        }
        catch { batchRows.Dispose(); throw; }
        prompts += ids.shape[0];
        if (pendingBytes >= chunkBytes) Flush();
    }

    void Flush()
    {
        if (pending.Count == 0) return;
        var names = rowShapes.Keys.ToList();
        var tensors = names.Select(n => (n, (IReadOnlyList<Tensor>)pending.Select(r => r.Cache[n]).ToList()))
            .Append(("prompt", pending.Select(r => r.Sequence).ToList()))
            .Append(("position", pending.Select(r => r.Position).ToList())).ToList();
        var file = $"chunk-{chunks.Count:D5}.safetensors";
        SafeTensorsWriter.WriteParts(Path.Combine(folder, file), tensors, new Dictionary<string, string> { ["format"] = "sharplens-activations" });
        long n = pending.Sum(r => r.Count);
        chunks.Add(new ActivationChunk(file, n, pendingFirstPrompt));
        rows += n;
        bytes += pendingBytes;
        foreach (var r in pending) r.Dispose();
        pending.Clear();
        pendingBytes = 0;
        pendingFirstPrompt = prompts;
    }

    /// <summary>Writes the last chunk and dataset.json; returns what the folder holds.</summary>
    public ActivationDatasetInfo Complete()
    {
        ObjectDisposedException.ThrowIf(completed, this);
        if (prompts == 0) throw new InvalidOperationException("no batch was added to the activation dataset");
        Flush();
        completed = true;
        var info = new ActivationDatasetInfo
        {
            Model = model!, Hooks = rowShapes, DType = dtype!, Positions = plan.Positions.ToString().ToLowerInvariant(),
            Prompts = prompts, Rows = rows, Bytes = bytes, Chunks = chunks.ToList(),
        };
        AtomicFile.WriteText(Path.Combine(folder, InfoFile), JsonSerializer.Serialize(info, ActivationDataset.Json));
        return info;
    }

    /// <summary>Frees rows not yet written (an incomplete dataset has no dataset.json).</summary>
    public void Dispose()
    {
        foreach (var r in pending) r.Dispose();
        pending.Clear();
        completed = true;
    }
}

/// <summary>Reads activation datasets written by <see cref="ActivationDatasetWriter"/>.</summary>
public static class ActivationDataset
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The folder's dataset.json; throws naming the folder when it is missing (an interrupted run) or malformed.</summary>
    public static ActivationDatasetInfo Read(string folder)
    {
        var path = Path.Combine(folder, ActivationDatasetWriter.InfoFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no {ActivationDatasetWriter.InfoFile} (not an activation dataset, or its writing did not complete)", path);
        try
        {
            return JsonSerializer.Deserialize<ActivationDatasetInfo>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    /// <summary>One hook's rows of every chunk, concatenated ([rows, …], a copy in memory: for datasets that fit).</summary>
    public static Tensor Load(string folder, string name)
    {
        var info = Read(folder);
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        foreach (var c in info.Chunks)
        {
            using var f = SafeTensorsFile.Open(Path.Combine(folder, c.File));
            if (!f.Contains(name)) throw new KeyNotFoundException($"{c.File}: no '{name}'; the dataset holds {string.Join(", ", info.Hooks.Keys)}, prompt, position");
            parts.Add(f.Load(name).clone());
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }
}
