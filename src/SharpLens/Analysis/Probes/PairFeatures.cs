// Pair vectors for the probing tasks: one cached forward pass per function, subwords mean-pooled per code token.
using System.Diagnostics;
using SharpLens.Code;
using SharpLens.Code.Datasets;
using SharpLens.Hooks;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Probes;

/// <summary>Probe inputs at one layer: a pair vector, its label and its split per kept pair (rows in file order).</summary>
public sealed record ProbeDataset(string Task, int Layer, float[][] X, string[] Labels, bool[] IsTrain, string[] Ids)
{
    /// <summary>Distinct labels in ordinal order (the class index of a label is its position here).</summary>
    public string[] Classes { get; } = Labels.Distinct().Order(StringComparer.Ordinal).ToArray();
}

/// <summary>
/// What feature extraction did: functions run, truncated to the model's length, pairs dropped because of it, and kept
/// pairs whose a and b are pooled from exactly the same subword tokens (one token straddles both, e.g. "()"): such
/// pairs get a = b (a zero difference vector), so no probe can tell their labels apart.
/// </summary>
public sealed record FeatureReport(int Functions, int FunctionsTruncated, int PairsKept, int PairsSkipped, int PairsSameTokens, int MaxTokens,
    int LongestFunction, double Seconds);

/// <summary>
/// For each distinct function of a pairs file: encode its code with the model's tokenizer (special tokens included),
/// truncate to <c>maxTokens</c>, run the model once (functions batched by length, right-padded with an attention mask)
/// caching <c>blocks.{l}.hook_resid_post</c> at the requested layers, align tokens to the function's code tokens
/// (<see cref="TokenAlignment"/>: a token overlapping several code tokens counts for each), mean-pool per code token,
/// and build the pair vector (<see cref="PairVector"/>). A pair whose a or b lost all its tokens to truncation is
/// skipped and counted.
/// </summary>
internal static class PairFeatures
{
    /// <summary>ast-distance: a − b (length d); sibling and dataflow: [a; b] (length 2d).</summary>
    public static float[] PairVector(string task, float[] a, float[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"expected vectors of one width, found {a.Length} and {b.Length}");
        if (task == "ast-distance") return a.Select((x, i) => x - b[i]).ToArray();
        if (task is "sibling" or "dataflow") return [.. a, .. b];
        throw new ArgumentException($"expected task among {string.Join(", ", ProbePairs.Tasks)}, found '{task}'");
    }

    /// <summary>Mean of rows <paramref name="tokens"/> of a [pos, d] row-major block; null when there are none.</summary>
    public static float[]? Pool(ReadOnlySpan<float> block, int d, IReadOnlyList<int> tokens)
    {
        if (tokens.Count == 0) return null;
        var v = new float[d];
        foreach (var t in tokens)
        {
            var row = block.Slice(t * d, d);
            for (int j = 0; j < d; j++) v[j] += row[j];
        }
        for (int j = 0; j < d; j++) v[j] /= tokens.Count;
        return v;
    }

    /// <summary>Usable sequence length: max positions (RoBERTa loses padding_idx + 1 of them), else <paramref name="fallback"/>.</summary>
    public static int MaxTokens(HookedModel model, int fallback = 1024) => model.Info.MaxPositions is int mp
        ? (model.Info.ModelType == "roberta" ? mp - 2 : mp) : fallback;

    sealed record Unit(int FunctionId, string Code, int[] Ids, int[] Starts, int[] Ends, IReadOnlyList<SyntaxNode> CodeTokens, bool Truncated);

    /// <summary>Builds one <see cref="ProbeDataset"/> per layer; <paramref name="progress"/> receives one line per batch group.</summary>
    public static (IReadOnlyDictionary<int, ProbeDataset> ByLayer, FeatureReport Report) Extract(HookedModel model, Tokenizer tokenizer,
        IReadOnlyList<PairRecord> pairs, IReadOnlyList<int> layers, int maxTokens, int batchSize = 8, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0) throw new ArgumentException("expected at least one pair, found none");
        return ExtractTasks(model, tokenizer, [pairs], layers, maxTokens, batchSize, progress)[0];
    }

    /// <summary>
    /// <see cref="Extract"/> for several pair lists (one task each) in one pass: a function shared by lists (same code)
    /// is run once. Returns one result per list, in order; each report counts that list's pairs and functions (its
    /// seconds are the whole pass). <paramref name="functionsDone"/> receives (done, total) after each batch.
    /// </summary>
    public static IReadOnlyList<(IReadOnlyDictionary<int, ProbeDataset> ByLayer, FeatureReport Report)> ExtractTasks(HookedModel model, Tokenizer tokenizer,
        IReadOnlyList<IReadOnlyList<PairRecord>> lists, IReadOnlyList<int> layers, int maxTokens, int batchSize = 8, Action<string>? progress = null,
        Action<int, int>? functionsDone = null)
    {
        ArgumentNullException.ThrowIfNull(lists);
        if (lists.Count == 0 || lists.Any(l => l.Count == 0)) throw new ArgumentException("expected at least one pair per list, found an empty list");
        if (layers.Count == 0 || layers.Any(l => l < 0 || l >= model.Info.NLayers))
            throw new ArgumentException($"expected layers in 0..{model.Info.NLayers - 1}, found {string.Join(",", layers)}");
        if (maxTokens < 1 || batchSize < 1) throw new ArgumentException($"expected max tokens and batch size ≥ 1, found {maxTokens} and {batchSize}");
        var sw = Stopwatch.StartNew();
        // functions are keyed by their code: ids are only unique within one pairs file
        var all = lists.SelectMany((l, li) => l.Select((p, i) => (p, li, i))).ToList();
        var units = all.GroupBy(x => x.p.Code, StringComparer.Ordinal)
            .Select((g, ui) => Prepare(tokenizer, ui, g.Key, g.Select(x => x.p), maxTokens)).ToList();
        var unitOf = units.ToDictionary(u => u.Code, StringComparer.Ordinal);
        int d = model.Info.DModel;
        var vectors = lists.Select(l => layers.ToDictionary(x => x, _ => new float[l.Count][])).ToList();
        var sameTokens = new int[lists.Count];
        var byUnit = all.ToLookup(x => x.p.Code, StringComparer.Ordinal);
        var names = layers.Select(l => HookName.Of(Site.ResidPost, l)).ToArray();
        var deepest = HookName.ResidPost(layers.Max());
        int pad = tokenizer.PadId ?? 0, done = 0;
        var order = units.OrderBy(u => u.Ids.Length).ToList();
        for (int start = 0; start < order.Count; start += batchSize)
        {
            var batch = order.Skip(start).Take(batchSize).ToList();
            int len = batch.Max(u => u.Ids.Length);
            var ids = new long[batch.Count * len];
            var mask = new long[batch.Count * len];
            Array.Fill(ids, pad);
            for (int b = 0; b < batch.Count; b++)
                for (int t = 0; t < batch[b].Ids.Length; t++) { ids[b * len + t] = batch[b].Ids[t]; mask[b * len + t] = 1; }
            using var scope = NewDisposeScope();
            using var idsT = tensor(ids).view(batch.Count, len);
            using var maskT = tensor(mask).view(batch.Count, len);
            // stops after the deepest probed layer: nothing later is needed, and fine-tuned checkpoints have no LM head
            using var cache = model.RunWithCache(idsT, HookFilter.Names(names), maskT, ScalarType.Float32, stopAt: deepest);
            var aligns = batch.Select(u => TokenAlignment.Build(u.CodeTokens, u.Starts, u.Ends)).ToArray();
            for (int li = 0; li < layers.Count; li++)
            {
                var flat = cache[names[li]].contiguous().data<float>().ToArray();             // [batch, pos, d_model]
                for (int b = 0; b < batch.Count; b++)
                {
                    var align = aligns[b];
                    var block = flat.AsSpan(b * len * d, len * d);
                    foreach (var (p, list, i) in byUnit[batch[b].Code])
                    {
                        var va = Pool(block, d, align.TokensOfLeaf(p.A.Index));
                        var vb = Pool(block, d, align.TokensOfLeaf(p.B.Index));
                        if (va == null || vb == null) continue;
                        vectors[list][layers[li]][i] = PairVector(p.Task, va, vb);
                        if (li == 0 && align.TokensOfLeaf(p.A.Index).SequenceEqual(align.TokensOfLeaf(p.B.Index))) sameTokens[list]++;
                    }
                }
            }
            done += batch.Count;
            functionsDone?.Invoke(done, order.Count);
            if (progress != null && (start / batchSize) % 25 == 0 || done == order.Count)
                progress?.Invoke($"features: {done}/{order.Count} functions ({sw.Elapsed.TotalSeconds:0.0} s)");
        }
        var results = new List<(IReadOnlyDictionary<int, ProbeDataset>, FeatureReport)>();
        for (int li = 0; li < lists.Count; li++)
        {
            var pairs = lists[li];
            var v = vectors[li];
            var keep = Enumerable.Range(0, pairs.Count).Where(i => v[layers[0]][i] != null).ToArray();
            var byLayer = layers.ToDictionary(l => l, l => new ProbeDataset(pairs[0].Task, l, keep.Select(i => v[l][i]).ToArray(),
                keep.Select(i => pairs[i].Label).ToArray(), keep.Select(i => pairs[i].IsTrain).ToArray(), keep.Select(i => pairs[i].Id).ToArray()));
            var mine = pairs.Select(p => unitOf[p.Code]).Distinct().ToList();
            results.Add((byLayer, new FeatureReport(mine.Count, mine.Count(u => u.Truncated), keep.Length, pairs.Count - keep.Length, sameTokens[li], maxTokens,
                mine.Max(u => u.Ids.Length), sw.Elapsed.TotalSeconds)));
        }
        return results;
    }

    static Unit Prepare(Tokenizer tokenizer, int functionId, string code, IEnumerable<PairRecord> pairs, int maxTokens)
    {
        var tree = SyntaxTree.Parse(code, Language.Python);
        var tokens = CodeTokens.Of(tree);
        foreach (var p in pairs)
            foreach (var t in new[] { p.A, p.B })
                if (t.Index >= tokens.Count || tokens[t.Index].Start != t.Start || tokens[t.Index].End != t.End)
                    throw new InvalidDataException($"pair {p.Id}: expected code token {t.Index} of function {p.FunctionId} at ({t.Start}, {t.End}) " +
                        $"'{t.Text}', found {(t.Index < tokens.Count ? $"({tokens[t.Index].Start}, {tokens[t.Index].End}) '{tokens[t.Index].Text}'" : $"only {tokens.Count} code tokens")}");
        var enc = tokenizer.Encode(code, addSpecialTokens: true);
        int n = Math.Min(enc.Count, maxTokens);
        return new Unit(functionId, code, enc.Ids.Take(n).ToArray(), enc.Offsets.Take(n).Select(o => o.Start).ToArray(),
            enc.Offsets.Take(n).Select(o => o.End).ToArray(), tokens, enc.Count > maxTokens);
    }
}
