// Fine-tunes a pretrained encoder (roberta-rope / bigs): type-kind token classification or docstring↔body retrieval.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Hooks;
using SharpLens.Loading;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>The fine-tuning task.</summary>
public enum FineTuneTask { TypeKind, DocRetrieval }

/// <summary>Options of <see cref="FineTuner.Run"/>.</summary>
public sealed record FineTuneOptions
{
    public required FineTuneTask Task { get; init; }
    public int Steps { get; init; } = 300;
    public int Batch { get; init; } = 16;
    public int SeqLen { get; init; } = 128;
    public double Lr { get; init; } = 2e-4;
    public int Warmup { get; init; } = 30;
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Softmax temperature of the in-batch contrastive loss.</summary>
    public double Temperature { get; init; } = 0.05;
    public long Seed { get; init; } = 1;
    public int? Threads { get; init; }
    /// <summary>Matrix-product precision of the training steps (null = bf16 where the CPU has native bf16 products); evaluation runs in fp32.</summary>
    public TrainPrecision? Precision { get; init; }
}

/// <summary>Held-out scores of a fine-tuning run.</summary>
public sealed record FineTuneResult
{
    public required FineTuneTask Task { get; init; }
    public required int TrainExamples { get; init; }
    public required int TestExamples { get; init; }
    public required double FinalLoss { get; init; }
    /// <summary>type-kind: accuracy on held-out files.</summary>
    public double? Accuracy { get; init; }
    /// <summary>type-kind: macro-F1 over the classes present in the held-out set.</summary>
    public double? MacroF1 { get; init; }
    /// <summary>doc-retrieval: mean reciprocal rank of the true body among all held-out bodies.</summary>
    public double? Mrr { get; init; }
    public required TimeSpan Wall { get; init; }
}

/// <summary>
/// Fine-tuning reads the last layer's residual stream (<c>blocks.{L−1}.hook_resid_post</c>, the encoder output HF
/// heads read) of a model loaded with <see cref="ModelLoader.Load"/>. type-kind adds a linear classifier at the
/// target's first token (saved as *ForTokenClassification: encoder keys + classifier.weight/bias, id2label = kinds);
/// doc-retrieval mean-pools non-padding positions, L2-normalises, and trains a symmetric in-batch InfoNCE loss (saved
/// as the base *Model + pooling.json). The MLM head is not saved.
/// </summary>
public static class FineTuner
{
    public static FineTuneResult Run(string modelDir, string corpus, string glob, TrainTokenizer tok, string outDir, FineTuneOptions o, Action<string>? log = null)
    {
        int threads = o.Threads ?? TrainOptions.AutoThreads;
        if (torch.get_num_threads() != threads) torch.set_num_threads(threads);                 // process-wide: change only when needed
        ScalarType? products = (o.Precision ?? TrainOptions.DefaultPrecision) == TrainPrecision.Bf16 ? ScalarType.BFloat16 : null;
        log?.Invoke($"precision {(products is null ? "fp32" : "bf16")}{(o.Precision is null ? " (auto)" : "")}; {o.Threads ?? TrainOptions.AutoThreads} torch threads");
        torch.random.manual_seed(o.Seed);
        var model = ModelLoader.Load(modelDir);
        var info = model.Info;
        if (info.IsCausal || info.ModelType is not ("roformer" or "BiGS"))
            throw new NotSupportedException($"{modelDir}: fine-tuning needs an encoder (roberta-rope = roformer, or bigs), found {info.Architecture}");
        var hook = HookName.ResidPost(info.NLayers - 1);
        int pad = tok.PadId ?? 0;
        var rng = new SplitMix64(SplitMix64.Mix(o.Seed, 0xF1E));
        var sw = Stopwatch.StartNew();
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(modelDir, "config.json")))!.AsObject();
        string prefix = info.ModelType == "roformer" ? "roformer." : "bigs.";
        string baseName = info.ModelType == "roformer" ? "RoFormer" : "BiGS";
        model.train();

        Tensor Hidden(List<int[]> rows, out Tensor mask)               // [batch, pos, d_model], mask [batch, pos]
        {
            int len = rows.Max(r => r.Length);
            var ids = new long[rows.Count * len];
            var m = new long[rows.Count * len];
            for (int i = 0; i < rows.Count; i++)
                for (int j = 0; j < len; j++) { ids[i * len + j] = j < rows[i].Length ? rows[i][j] : pad; m[i * len + j] = j < rows[i].Length ? 1 : 0; }
            mask = tensor(m, [rows.Count, len]);
            Tensor? h = null;
            using (model.Hooks.Add(hook, (act, _) => { h = act.DetachFromDisposeScope(); return null; }))   // Forward's scope would free it
                model.Forward(tensor(ids, [rows.Count, len]), mask);
            if (h is null) throw new InvalidOperationException($"{info.Architecture} did not fire {hook}");
            using (h) return h.alias();                                                // owned by the caller's scope, graph kept
        }

        var recent = new Queue<double>();
        if (o.Task == FineTuneTask.TypeKind)
        {
            var (train, test) = FineTuneData.TypeKind(corpus, glob, tok.Encode, o.SeqLen);
            if (train.Count == 0 || test.Count == 0) throw new InvalidDataException($"{corpus}: no assignments found for train ({train.Count}) or test ({test.Count})");
            log?.Invoke($"type-kind: {train.Count} train / {test.Count} held-out assignments");
            var head = nn.Linear(info.DModel, FineTuneData.Kinds.Length);
            using var opt = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)).Concat(head.named_parameters().Select(p => ("classifier." + p.name, p.parameter))), o.WeightDecay);
            for (int step = 0; step < o.Steps; step++)
            {
                using var scope = NewDisposeScope();
                using var mixed = Nn.Precision.Use(products);
                var batch = Enumerable.Range(0, o.Batch).Select(_ => train[rng.NextInt(train.Count)]).ToList();
                opt.ZeroGrad();
                var h = Hidden(batch.Select(b => b.Ids).ToList(), out _);
                var at = h[arange(batch.Count), tensor(batch.Select(b => (long)b.Position).ToArray())];   // [batch, d_model]
                var loss = nn.functional.cross_entropy(head.forward(at), tensor(batch.Select(b => (long)b.Label).ToArray()));
                loss.backward();
                opt.ClipGradNorm(1.0);
                opt.Update(LrSchedule.At(step, o.Steps, o.Lr, o.Lr * 0.1, o.Warmup));
                Remember(recent, loss.item<float>());
                if ((step + 1) % 50 == 0) log?.Invoke($"step {step + 1}/{o.Steps} loss {recent.Average():F4}");
            }
            model.eval();
            var predicted = new List<int>();
            using (no_grad())
                for (int i = 0; i < test.Count; i += 64)
                {
                    using var scope = NewDisposeScope();
                    var chunk = test.Skip(i).Take(64).ToList();
                    var h = Hidden(chunk.Select(b => b.Ids).ToList(), out _);
                    var at = h[arange(chunk.Count), tensor(chunk.Select(b => (long)b.Position).ToArray())];
                    predicted.AddRange(head.forward(at).argmax(-1).data<long>().Select(x => (int)x));
                }
            var gold = test.Select(t => t.Label).ToList();
            double acc = gold.Zip(predicted).Count(p => p.First == p.Second) / (double)gold.Count;
            double f1 = gold.Distinct().Average(c =>
            {
                int tp = gold.Zip(predicted).Count(p => p.First == c && p.Second == c), fp = predicted.Count(p => p == c) - tp, fn = gold.Count(g => g == c) - tp;
                return tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
            });
            cfg["architectures"] = new JsonArray($"{baseName}ForTokenClassification");
            var id2 = new JsonObject(); var l2i = new JsonObject();
            for (int i = 0; i < FineTuneData.Kinds.Length; i++) { id2[i.ToString()] = FineTuneData.Kinds[i]; l2i[FineTuneData.Kinds[i]] = i; }
            cfg["id2label"] = id2; cfg["label2id"] = l2i;
            Save(outDir, cfg, tok, model.named_parameters().Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal)).Select(p => (p.name, (Tensor)p.parameter))
                .Concat(head.named_parameters().Select(p => ("classifier." + p.name, (Tensor)p.parameter))));
            return new FineTuneResult { Task = o.Task, TrainExamples = train.Count, TestExamples = test.Count, FinalLoss = recent.Average(), Accuracy = acc, MacroF1 = f1, Wall = sw.Elapsed };
        }
        else
        {
            var (train, test) = FineTuneData.DocRetrieval(corpus, glob, tok.Encode, o.SeqLen);
            if (train.Count < o.Batch || test.Count < 2) throw new InvalidDataException($"{corpus}: too few documented functions (train {train.Count}, held-out {test.Count})");
            log?.Invoke($"doc-retrieval: {train.Count} train / {test.Count} held-out (docstring, body) pairs");
            Tensor Embed(List<int[]> rows)                                           // [batch, d_model], unit norm
            {
                var h = Hidden(rows, out var mask);
                var m = mask.unsqueeze(-1).to(h.dtype);
                return nn.functional.normalize((h * m).sum(1) / m.sum(1), p: 2, dim: -1);
            }
            using var opt = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)), o.WeightDecay);
            for (int step = 0; step < o.Steps; step++)
            {
                using var scope = NewDisposeScope();
                using var mixed = Nn.Precision.Use(products);
                var batch = SampleDistinct(train.Count, o.Batch, ref rng).Select(i => train[i]).ToList();
                opt.ZeroGrad();
                var sim = Embed(batch.Select(b => b.Doc).ToList()).matmul(Embed(batch.Select(b => b.Body).ToList()).t()) / o.Temperature; // [batch, batch]
                var labels = arange(batch.Count);
                var loss = (nn.functional.cross_entropy(sim, labels) + nn.functional.cross_entropy(sim.t(), labels)) / 2;
                loss.backward();
                opt.ClipGradNorm(1.0);
                opt.Update(LrSchedule.At(step, o.Steps, o.Lr, o.Lr * 0.1, o.Warmup));
                Remember(recent, loss.item<float>());
                if ((step + 1) % 50 == 0) log?.Invoke($"step {step + 1}/{o.Steps} loss {recent.Average():F4}");
            }
            model.eval();
            double mrr;
            using (no_grad())
            {
                using var scope = NewDisposeScope();
                var docs = cat(Chunks(test.Select(t => t.Doc).ToList()).Select(Embed).ToList(), 0);      // [n, d_model]
                var bodies = cat(Chunks(test.Select(t => t.Body).ToList()).Select(Embed).ToList(), 0);
                var sim = docs.matmul(bodies.t());                                                        // [n, n]
                var rank = sim.gt(sim.diagonal().unsqueeze(1)).sum(1).to(ScalarType.Float64) + 1;         // 1 = best
                mrr = (1.0 / rank).mean().item<double>();
            }
            cfg["architectures"] = new JsonArray($"{baseName}Model");
            Save(outDir, cfg, tok, model.named_parameters().Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal))
                .Select(p => (info.ModelType == "roformer" ? p.name[prefix.Length..] : p.name, (Tensor)p.parameter)));
            AtomicFile.WriteText(Path.Combine(outDir, "pooling.json"), """{"pooling": "mean over non-padding positions of the last layer", "normalize": "l2"}""" + "\n");
            return new FineTuneResult { Task = o.Task, TrainExamples = train.Count, TestExamples = test.Count, FinalLoss = recent.Average(), Mrr = mrr, Wall = sw.Elapsed };
        }
    }

    static IEnumerable<List<int[]>> Chunks(List<int[]> rows) { for (int i = 0; i < rows.Count; i += 64) yield return rows.Skip(i).Take(64).ToList(); }

    static List<int> SampleDistinct(int n, int k, ref SplitMix64 rng)
    {
        var set = new HashSet<int>();
        while (set.Count < k) set.Add(rng.NextInt(n));
        return set.ToList();
    }

    static void Remember(Queue<double> q, double x) { q.Enqueue(x); if (q.Count > 20) q.Dequeue(); }

    static void Save(string outDir, JsonObject cfg, TrainTokenizer tok, IEnumerable<(string, Tensor)> tensors)
    {
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteText(Path.Combine(outDir, "config.json"), cfg.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        SafeTensorsWriter.Write(Path.Combine(outDir, "model.safetensors"), tensors);
        if (tok.Directory is string dir)
            foreach (var name in TrainTokenizer.FileNames)
                if (File.Exists(Path.Combine(dir, name))) File.Copy(Path.Combine(dir, name), Path.Combine(outDir, name), overwrite: true);
    }
}
