// Fine-tunes a pretrained encoder (roberta-rope / bigs): token classification (type-kind, type-inference) or retrieval (doc-retrieval, code-search).
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Code.Datasets;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>The fine-tuning task (written by name in finetune_result.json).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<FineTuneTask>))]
public enum FineTuneTask { TypeKind, DocRetrieval, TypeInference, CodeSearch }

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
    /// <summary>type-kind / doc-retrieval: the file pattern of the corpus folder.</summary>
    public string Glob { get; init; } = "*.py";
    /// <summary>type-inference: the number of most frequent (normalised) training types that get a label.</summary>
    public int Types { get; init; } = 16;
    /// <summary>code-search: held-out pairs scored (the test split must hold at least this many).</summary>
    public int EvalPairs { get; init; } = 1000;
    /// <summary>code-search: pool size (the query's function + pool − 1 distractors).</summary>
    public int Pool { get; init; } = 1000;
    /// <summary>Store the saved weights as bf16 (half the size): they are rounded before scoring, so scores and reference describe the saved folder.</summary>
    public bool ExportBf16 { get; init; }
}

/// <summary>Held-out scores of a fine-tuning run.</summary>
public sealed record FineTuneResult
{
    public required FineTuneTask Task { get; init; }
    public required int TrainExamples { get; init; }
    public required int TestExamples { get; init; }
    public required double FinalLoss { get; init; }
    /// <summary>Token classification: the classes, in label order.</summary>
    public IReadOnlyList<string>? Labels { get; init; }
    /// <summary>Token classification: labelled held-out tokens scored.</summary>
    public int? TestTokens { get; init; }
    /// <summary>Token classification: accuracy over the labelled held-out tokens.</summary>
    public double? Accuracy { get; init; }
    /// <summary>Token classification: macro-F1 over the classes present in the held-out gold labels.</summary>
    public double? MacroF1 { get; init; }
    /// <summary>Retrieval: mean reciprocal rank of the true body in its pool (<see cref="FineTuner.MrrInPools"/>).</summary>
    public double? Mrr { get; init; }
    /// <summary>Retrieval: candidates per pool and the number of pools scored.</summary>
    public int? Pool { get; init; }
    public int? Pools { get; init; }
    public required TimeSpan Wall { get; init; }
}

/// <summary>
/// Fine-tuning reads the last layer's residual stream (<c>blocks.{L−1}.hook_resid_post</c>, the encoder output HF
/// heads read) of a model loaded with <see cref="ModelLoader.Load"/>. Token classification (type-kind: one label at an
/// assignment target; type-inference: one per typed identifier) adds a linear classifier on every position, trained
/// with cross-entropy on the labelled ones (saved as *ForTokenClassification: encoder keys + classifier.weight/bias,
/// id2label = the classes). Retrieval (doc-retrieval, code-search) is a bi-encoder: mean over non-padding positions,
/// L2-normalised, symmetric in-batch InfoNCE (saved as the base *Model + pooling.json). The MLM head is not saved.
/// </summary>
public static class FineTuner
{
    /// <summary>The model types fine-tuning accepts (encoders).</summary>
    public static readonly IReadOnlyList<string> EncoderTypes = ["roformer", "BiGS"];

    /// <summary>
    /// Throws unless <paramref name="modelDir"/>'s config.json describes an encoder whose max_position_embeddings (when
    /// given) admits <paramref name="seqLen"/> tokens; checked before anything is loaded.
    /// </summary>
    public static void RequireEncoder(string modelDir, int seqLen)
    {
        var path = Path.Combine(modelDir, "config.json");
        if (!Directory.Exists(modelDir)) throw new DirectoryNotFoundException($"model folder not found: {modelDir}");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config.json not found", path);
        var config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        var type = config?["model_type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
        if (type is null || !EncoderTypes.Contains(type))
            throw new NotSupportedException($"{modelDir}: fine-tuning needs an encoder (roberta-rope = roformer, or bigs = BiGS), found model_type {type ?? "none"}");
        if (config!["max_position_embeddings"] is JsonValue m && m.TryGetValue<int>(out var max) && seqLen > max)
            throw new ArgumentException($"--seq-len {seqLen} exceeds {modelDir}'s max_position_embeddings {max}; use --seq-len {max} or less");
    }

    /// <summary>
    /// Fine-tunes the model in <paramref name="modelDir"/> on <paramref name="data"/> (type-kind, doc-retrieval: a folder of
    /// Python files, every 5th file held out; type-inference, code-search: a <c>sharplens data functions</c> folder,
    /// trained on train.jsonl and scored on test.jsonl) and writes the HF folder to <paramref name="outDir"/>.
    /// </summary>
    public static FineTuneResult Run(string modelDir, string data, TrainTokenizer tok, string outDir, FineTuneOptions o, Action<string>? log = null)
    {
        RequireEncoder(modelDir, o.SeqLen);
        int threads = o.Threads ?? TrainOptions.AutoThreads;
        if (torch.get_num_threads() != threads) torch.set_num_threads(threads);                 // process-wide: change only when needed
        if (o.Task is FineTuneTask.TypeKind or FineTuneTask.TypeInference)
        {
            var (train, test, labels) = TokenData(data, tok, o);
            log?.Invoke($"{o.Task}: {train.Count} train / {test.Count} held-out examples, {labels.Length} classes");
            return TokenClassification(modelDir, tok, outDir, o, train, test, labels, log);
        }
        var (trainPairs, testPairs, pool) = PairData(data, tok, o);
        log?.Invoke($"{o.Task}: {trainPairs.Count} train / {testPairs.Count} held-out (docstring, code) pairs in pools of {pool}");
        return Retrieval(modelDir, tok, outDir, o, trainPairs, testPairs, pool, log);
    }

    static (List<TokenLabelExample> Train, List<TokenLabelExample> Test, string[] Labels) TokenData(string data, TrainTokenizer tok, FineTuneOptions o)
    {
        if (o.Task == FineTuneTask.TypeKind)
        {
            var (tr, te) = FineTuneData.TypeKind(data, o.Glob, tok.Encode, o.SeqLen);
            if (tr.Count == 0 || te.Count == 0) throw new InvalidDataException($"{data}: expected assignments in train and held-out files, found {tr.Count} and {te.Count}");
            TokenLabelExample Of(TypeKindExample e)
            {
                var labels = Enumerable.Repeat(DataStream.IgnoreIndex, e.Ids.Length).ToArray();
                labels[e.Position] = e.Label;
                return new TokenLabelExample(e.Ids, labels, e.File);
            }
            return (tr.Select(Of).ToList(), te.Select(Of).ToList(), FineTuneData.Kinds);
        }
        var encode = tok.EncodeWithOffsets ?? throw new InvalidDataException("type-inference needs a tokenizer that reports token offsets, found one without");
        var (train, test) = FunctionSplits(data);
        var (trainEx, testEx, types) = TypeInferenceData.Build(train, test, encode, o.SeqLen, o.Types);
        if (trainEx.Count == 0 || testEx.Count == 0)
            throw new InvalidDataException($"{data}: expected labelled tokens (annotations or literal assignments) in train.jsonl and test.jsonl, " +
                                           $"found {trainEx.Count} and {testEx.Count} functions with any");
        return (trainEx, testEx, types);
    }

    static (List<FunctionUnit> Train, List<FunctionUnit> Test) FunctionSplits(string data)
    {
        if (!Directory.Exists(data)) throw new DirectoryNotFoundException($"--data: expected a folder from `sharplens data functions`, found no folder at {data}");
        return (FunctionUnit.ReadJsonl(Path.Combine(data, "train.jsonl")), FunctionUnit.ReadJsonl(Path.Combine(data, "test.jsonl")));
    }

    static (List<DocBodyPair> Train, List<DocBodyPair> Test, int Pool) PairData(string data, TrainTokenizer tok, FineTuneOptions o)
    {
        if (o.Task == FineTuneTask.DocRetrieval)
        {
            var (tr, te) = FineTuneData.DocRetrieval(data, o.Glob, tok.Encode, o.SeqLen);
            if (tr.Count < o.Batch || te.Count < 2) throw new InvalidDataException($"{data}: expected at least {o.Batch} training and 2 held-out documented functions, found {tr.Count} and {te.Count}");
            return (tr, te, te.Count);
        }
        var (train, test) = FunctionSplits(data);
        var trainPairs = train.Select(u => FineTuneData.Pair(u, tok.Encode, o.SeqLen)).OfType<DocBodyPair>().ToList();
        var testPairs = test.Select(u => FineTuneData.Pair(u, tok.Encode, o.SeqLen)).OfType<DocBodyPair>().ToList();
        if (trainPairs.Count < o.Batch)
            throw new InvalidDataException($"{data}/train.jsonl: expected at least --batch {o.Batch} (docstring, code) pairs, found {trainPairs.Count}");
        if (testPairs.Count < o.EvalPairs)
            throw new InvalidDataException($"{data}/test.jsonl: expected at least --eval-pairs {o.EvalPairs} (docstring, code) pairs, found {testPairs.Count}");
        var order = Enumerable.Range(0, testPairs.Count).ToList();
        new SplitMix64(SplitMix64.Mix(o.Seed, 0xC5E)).Shuffle(order);                // which pairs share a pool: seeded, not file order
        int pool = Math.Min(o.Pool, o.EvalPairs);
        return (trainPairs, order.Take(o.EvalPairs / pool * pool).Select(i => testPairs[i]).ToList(), pool);
    }

    sealed class Encoder(HookedModel model, int pad)
    {
        readonly HookName hook = HookName.ResidPost(model.Info.NLayers - 1);

        public Tensor Hidden(List<int[]> rows, out Tensor mask)                 // [batch, pos, d_model], mask [batch, pos]
        {
            int len = rows.Max(r => r.Length);
            var ids = new long[rows.Count * len];
            var m = new long[rows.Count * len];
            for (int i = 0; i < rows.Count; i++)
                for (int j = 0; j < len; j++) { ids[i * len + j] = j < rows[i].Length ? rows[i][j] : pad; m[i * len + j] = j < rows[i].Length ? 1 : 0; }
            mask = tensor(m, [rows.Count, len]);
            return model.ForwardTo(hook, tensor(ids, [rows.Count, len]), mask);   // the head is never run; graph kept
        }

        public Tensor Embed(List<int[]> rows)                                    // [batch, d_model], unit norm
        {
            var h = Hidden(rows, out var mask);
            var m = mask.unsqueeze(-1).to(h.dtype);
            return nn.functional.normalize((h * m).sum(1) / m.sum(1), p: 2, dim: -1);
        }
    }

    static (HookedModel Model, JsonObject Config, string Prefix, string BaseName, ScalarType? Products) Load(string modelDir, FineTuneOptions o, Action<string>? log)
    {
        ScalarType? products = (o.Precision ?? TrainOptions.DefaultPrecision) == TrainPrecision.Bf16 ? ScalarType.BFloat16 : null;
        log?.Invoke($"precision {(products is null ? "fp32" : "bf16")}{(o.Precision is null ? " (auto)" : "")}; {o.Threads ?? TrainOptions.AutoThreads} torch threads");
        torch.random.manual_seed(o.Seed);
        var model = ModelLoader.Load(modelDir);
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(modelDir, "config.json")))!.AsObject();
        bool roformer = model.Info.ModelType == "roformer";
        model.train();
        return (model, cfg, roformer ? "roformer." : "bigs.", roformer ? "RoFormer" : "BiGS", products);
    }

    static FineTuneResult TokenClassification(string modelDir, TrainTokenizer tok, string outDir, FineTuneOptions o,
        List<TokenLabelExample> train, List<TokenLabelExample> test, string[] labels, Action<string>? log)
    {
        var sw = Stopwatch.StartNew();
        var (model, cfg, prefix, baseName, products) = Load(modelDir, o, log);
        using var owned = model;
        var enc = new Encoder(model, tok.PadId ?? 0);
        var rng = new SplitMix64(SplitMix64.Mix(o.Seed, 0xF1E));
        var head = nn.Linear(model.Info.DModel, labels.Length);
        Tensor Labels(List<TokenLabelExample> rows, long len)                    // [batch, pos], padding ignored
        {
            var l = new long[rows.Count * len];
            for (int i = 0; i < rows.Count; i++)
                for (int j = 0; j < len; j++) l[i * len + j] = j < rows[i].Labels.Length ? rows[i].Labels[j] : DataStream.IgnoreIndex;
            return tensor(l, [rows.Count, len]);
        }
        using var opt = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)).Concat(head.named_parameters().Select(p => ("classifier." + p.name, p.parameter))), o.WeightDecay);
        double finalLoss = Optimise(o, products, opt, log, ref rng, (ref SplitMix64 r) =>
        {
            var batch = new List<TokenLabelExample>(o.Batch);
            for (int i = 0; i < o.Batch; i++) batch.Add(train[r.NextInt(train.Count)]);
            var h = enc.Hidden(batch.Select(b => b.Ids).ToList(), out _);
            var logits = head.forward(h).to(ScalarType.Float32);                                           // [batch, pos, classes]
            return nn.functional.cross_entropy(logits.reshape(-1, labels.Length), Labels(batch, h.shape[1]).reshape(-1), ignore_index: DataStream.IgnoreIndex);
        });
        model.eval();
        if (o.ExportBf16) HfExport.RoundToBf16(model.parameters().Concat(head.parameters()));   // score what is saved
        var gold = new List<int>();
        var predicted = new List<int>();
        using (no_grad())
            foreach (var chunk in test.Chunk(64).Select(c => c.ToList()))
            {
                using var scope = NewDisposeScope();
                var argmax = head.forward(enc.Hidden(chunk.Select(b => b.Ids).ToList(), out _)).argmax(-1);   // [batch, pos]
                var len = argmax.shape[1];
                var p = argmax.data<long>().ToArray();
                for (int i = 0; i < chunk.Count; i++)
                    for (int j = 0; j < chunk[i].Labels.Length; j++)
                        if (chunk[i].Labels[j] != DataStream.IgnoreIndex) { gold.Add(chunk[i].Labels[j]); predicted.Add((int)p[i * len + j]); }
            }
        var (acc, f1) = AccuracyMacroF1(gold, predicted);
        cfg["architectures"] = new JsonArray($"{baseName}ForTokenClassification");
        var id2 = new JsonObject(); var l2i = new JsonObject();
        for (int i = 0; i < labels.Length; i++) { id2[i.ToString()] = labels[i]; l2i[labels[i]] = i; }
        cfg["id2label"] = id2; cfg["label2id"] = l2i;
        Save(outDir, cfg, tok, model.named_parameters().Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal)).Select(p => (p.name, (Tensor)p.parameter))
            .Concat(head.named_parameters().Select(p => ("classifier." + p.name, (Tensor)p.parameter))), o.ExportBf16);
        WriteReference(outDir, test[0].Ids);
        return new FineTuneResult
        {
            Task = o.Task, TrainExamples = train.Count, TestExamples = test.Count, FinalLoss = finalLoss, Labels = labels, TestTokens = gold.Count,
            Accuracy = acc, MacroF1 = f1, Wall = sw.Elapsed,
        };
    }

    /// <summary>Accuracy, and macro-F1 over the classes present in <paramref name="gold"/>.</summary>
    public static (double Accuracy, double MacroF1) AccuracyMacroF1(IReadOnlyList<int> gold, IReadOnlyList<int> predicted)
    {
        if (gold.Count == 0 || gold.Count != predicted.Count) throw new ArgumentException($"expected equally many gold and predicted labels (> 0), found {gold.Count} and {predicted.Count}");
        var pairs = gold.Zip(predicted).ToList();
        double acc = pairs.Count(p => p.First == p.Second) / (double)gold.Count;
        double f1 = gold.Distinct().Average(c =>
        {
            int tp = pairs.Count(p => p.First == c && p.Second == c), fp = predicted.Count(p => p == c) - tp, fn = gold.Count(g => g == c) - tp;
            return tp == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
        });
        return (acc, f1);
    }

    static FineTuneResult Retrieval(string modelDir, TrainTokenizer tok, string outDir, FineTuneOptions o, List<DocBodyPair> train, List<DocBodyPair> test, int pool, Action<string>? log)
    {
        var sw = Stopwatch.StartNew();
        var (model, cfg, prefix, baseName, products) = Load(modelDir, o, log);
        using var owned = model;
        var enc = new Encoder(model, tok.PadId ?? 0);
        var rng = new SplitMix64(SplitMix64.Mix(o.Seed, 0xF1E));
        using var opt = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)), o.WeightDecay);
        double finalLoss = Optimise(o, products, opt, log, ref rng, (ref SplitMix64 r) =>
        {
            var batch = SampleDistinct(train.Count, o.Batch, ref r).Select(i => train[i]).ToList();
            var sim = enc.Embed(batch.Select(b => b.Doc).ToList()).matmul(enc.Embed(batch.Select(b => b.Body).ToList()).t()) / o.Temperature; // [batch, batch]
            var target = arange(batch.Count);
            return (nn.functional.cross_entropy(sim, target) + nn.functional.cross_entropy(sim.t(), target)) / 2;
        });
        model.eval();
        if (o.ExportBf16) HfExport.RoundToBf16(model);                                           // score what is saved
        double mrr;
        using (no_grad())
        {
            using var scope = NewDisposeScope();
            // one scope per chunk: only the [chunk, d_model] embeddings outlive it (keeping every chunk's activations
            // alive until the end took 19 GB for 2 × 1,000 sequences of 256 tokens and was killed by the OOM killer)
            Tensor EmbedAll(IEnumerable<int[]> seqs) => cat(seqs.Chunk(64).Select(c =>
            {
                using var chunk = NewDisposeScope();
                return enc.Embed(c.ToList()).MoveToOuterDisposeScope();
            }).ToList(), 0);
            var docs = EmbedAll(test.Select(t => t.Doc));                                                 // [n, d_model]
            var bodies = EmbedAll(test.Select(t => t.Body));
            mrr = MrrInPools(docs, bodies, pool);
        }
        cfg["architectures"] = new JsonArray($"{baseName}Model");
        Save(outDir, cfg, tok, model.named_parameters().Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal))
            .Select(p => (model.Info.ModelType == "roformer" ? p.name[prefix.Length..] : p.name, (Tensor)p.parameter)), o.ExportBf16);
        WriteReference(outDir, test[0].Body);
        AtomicFile.WriteText(Path.Combine(outDir, "pooling.json"), """{"pooling": "mean over non-padding positions of the last layer", "normalize": "l2"}""" + "\n");
        return new FineTuneResult
        {
            Task = o.Task, TrainExamples = train.Count, TestExamples = test.Count, FinalLoss = finalLoss, Mrr = mrr, Pool = pool, Pools = test.Count / pool, Wall = sw.Elapsed,
        };
    }

    /// <summary>
    /// CodeSearchNet's MRR: rows are cut into consecutive pools of <paramref name="pool"/> (a remainder is dropped); within
    /// a pool, query i's rank is the number of candidates j whose similarity <c>q_i·c_j</c> is ≥ that of its own
    /// candidate i (itself included, so ties count against it); MRR is the mean of 1/rank over the scored queries.
    /// </summary>
    public static double MrrInPools(Tensor queries, Tensor candidates, int pool)                     // [n, d], [n, d]
    {
        long n = queries.shape[0];
        if (pool < 1 || n < pool || candidates.shape[0] != n)
            throw new ArgumentException($"expected ≥ pool ({pool}) queries and as many candidates, found {n} and {candidates.shape[0]}");
        using var scope = NewDisposeScope();
        double sum = 0;
        long pools = n / pool;
        for (long p = 0; p < pools; p++)
        {
            var q = queries[TensorIndex.Slice(p * pool, (p + 1) * pool)].to(ScalarType.Float64);
            var c = candidates[TensorIndex.Slice(p * pool, (p + 1) * pool)].to(ScalarType.Float64);
            var sim = q.matmul(c.t());                                                              // [pool, pool]
            var rank = sim.ge(sim.diagonal().unsqueeze(1)).sum(1).to(ScalarType.Float64);          // 1 = best
            sum += (1.0 / rank).sum().item<double>();
        }
        return sum / (pools * pool);
    }

    delegate Tensor BatchLoss(ref SplitMix64 rng);

    /// <summary>The optimiser loop both tasks share: warm-up + cosine to lr/10, clip 1; returns the mean loss of the last 20 steps.</summary>
    static double Optimise(FineTuneOptions o, ScalarType? products, AdamW opt, Action<string>? log, ref SplitMix64 rng, BatchLoss lossOf)
    {
        var recent = new Queue<double>();
        for (int step = 0; step < o.Steps; step++)
        {
            using var scope = NewDisposeScope();
            using var mixed = Nn.Precision.Use(products);
            opt.ZeroGrad();
            var loss = lossOf(ref rng);
            loss.backward();
            opt.ClipGradNorm(1.0);
            opt.Update(LrSchedule.At(step, o.Steps, o.Lr, o.Lr * 0.1, o.Warmup));
            recent.Enqueue(loss.item<float>());
            if (recent.Count > 20) recent.Dequeue();
            if ((step + 1) % 50 == 0) log?.Invoke($"step {step + 1}/{o.Steps} loss {recent.Average():F4}");
        }
        return recent.Average();
    }

    static List<int> SampleDistinct(int n, int k, ref SplitMix64 rng)
    {
        var set = new HashSet<int>();
        while (set.Count < k) set.Add(rng.NextInt(n));
        return set.ToList();
    }

    /// <summary>reference.safetensors of the saved folder as it loads (its head included), so <c>sharplens verify</c> holds for it.</summary>
    static void WriteReference(string outDir, int[] ids)
    {
        using var saved = ModelLoader.Load(outDir);
        HfExport.WriteReference(Path.Combine(outDir, "reference.safetensors"), saved, ids.Take(64).Select(i => (long)i).ToArray());
    }

    static void Save(string outDir, JsonObject cfg, TrainTokenizer tok, IEnumerable<(string, Tensor)> tensors, bool bf16)
    {
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteText(Path.Combine(outDir, "config.json"), cfg.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        using (var scope = NewDisposeScope())
            SafeTensorsWriter.Write(Path.Combine(outDir, "model.safetensors"), tensors.Select(t => (t.Item1, bf16 ? t.Item2.detach().to(ScalarType.BFloat16) : t.Item2)));
        if (tok.Directory is string dir)
            foreach (var name in TokenizerFiles.Names)
                if (File.Exists(Path.Combine(dir, name))) File.Copy(Path.Combine(dir, name), Path.Combine(outDir, name), overwrite: true);
    }
}
