// SSM-Interpret end to end over a manifest: probes per layer, S4D kernel spectra and their shifts, fine-tuning scores, claims.
// Reference: Wu, Anand, Verma, Mezini, "Towards Understanding What State Space Models Learn About Code" (arXiv 2602.06774).
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.Probes;
using SharpLens.Analysis.Spectra;
using SharpLens.Architectures.Bigs;
using SharpLens.Architectures.Mamba;
using SharpLens.Loading;
using SharpLens.Tokenization;

namespace SharpLens.Analysis.SsmInterpret;

/// <summary>Where extracted pair features are kept between runs (keyed by model, tokenizer, pairs and token limit).</summary>
public interface IFeatureStore
{
    /// <summary>The datasets of every requested layer, or false when any is missing.</summary>
    bool TryLoad(string key, IReadOnlyList<int> layers, out IReadOnlyDictionary<int, ProbeDataset> byLayer, out FeatureReport report);

    /// <summary>Keeps the datasets under <paramref name="key"/>.</summary>
    void Save(string key, IReadOnlyDictionary<int, ProbeDataset> byLayer, FeatureReport report);
}

/// <summary>One probe unit of the study: a (model index in the manifest, task, layer).</summary>
public sealed record SsmUnit(int Model, string Task, int Layer);

/// <summary>
/// What <see cref="SsmStudy.Measure"/> computed for one model: some of its probe units' rows and feature reports and,
/// when <see cref="HasSpectra"/>, its spectra (null for a model without SSM kernels) and notes.
/// </summary>
public sealed record SsmModelPart(int Index, bool HasSpectra, StudyModel Model, IReadOnlyList<LayerMapRow> LayerMap, IReadOnlyList<FeatureRow> Features,
    IReadOnlyList<ProbeRow> Probes, ModelKernels? Spectra, IReadOnlyList<string> Notes, IReadOnlyDictionary<string, double> StageSeconds);

/// <summary>Runs the study; every piece is a record (<see cref="SsmStudyResult"/>), files are written by Reports/.</summary>
public static class SsmStudy
{
    /// <summary>Layers the paper probes, as block outputs 1..12 of its 12-layer models.</summary>
    public static readonly IReadOnlyList<int> PaperLayers = [3, 4, 6, 8, 10, 11];
    /// <summary>Pair counts of the paper per task (train, test).</summary>
    public static readonly IReadOnlyDictionary<string, (int Train, int Test)> PaperPairs = new Dictionary<string, (int, int)>
    {
        ["ast-distance"] = (5200, 1300), ["sibling"] = (2400, 600), ["dataflow"] = (3600, 900),
    };

    /// <summary>
    /// Paper layer p (a block output of 12, as HF hidden_states[p] counts them) → this model's block output
    /// round(p·n/12) (at least 1), i.e. 0-based hook_resid_post index round(p·n/12) − 1. For n = 12 that is p − 1.
    /// </summary>
    public static IReadOnlyList<LayerMapRow> MapLayers(string model, int nLayers, IReadOnlyList<int>? overrideLayers = null) =>
        overrideLayers is not null
            ? overrideLayers.Select(l => new LayerMapRow(model, nLayers, null, l)).ToList()
            : PaperLayers.Select(p => new LayerMapRow(model, nLayers, p,
                Math.Clamp((int)Math.Round(p * nLayers / 12.0, MidpointRounding.AwayFromZero), 1, nLayers) - 1)).ToList();

    /// <summary>Checks what can be checked before any model runs (layers in range, pair counts for exact DirectProbe).</summary>
    public static void Check(StudyManifest manifest, IReadOnlyList<TaskPairs> tasks, SsmStudyOptions options)
    {
        if (tasks.Count == 0) throw new ArgumentException("expected at least one probing task, found none");
        if (options.KernelLength < 2) throw new ArgumentException($"kernel length must be ≥ 2, found {options.KernelLength}");
        foreach (var e in manifest.Entries)
        {
            var bad = (options.Probe.Layers ?? []).Where(l => l < 0 || l >= e.NLayers).ToList();
            if (bad.Count > 0) throw new ArgumentException($"{e.Name} ('{e.Folder}') has {e.NLayers} layers: expected probe layers in 0..{e.NLayers - 1}, found {string.Join(",", bad)}");
        }
        var d = options.Probe.Direct;
        if (options.Probe.Probe != ProbeKind.Linear && d.Mode == DirectProbeMode.Exact)
            foreach (var t in tasks.Where(t => t.Train > d.ExactLimit))
                throw new ArgumentException($"exact DirectProbe on {t.Task}: expected at most {d.ExactLimit} training pairs (--exact-limit), found {t.Train}; use kmeans mode or raise the limit");
    }

    /// <summary>Runs every section for every model of the manifest.</summary>
    /// <remarks>The same per-model parts a sharded run computes shard by shard (<see cref="Measure"/>), then <see cref="Assemble"/>.</remarks>
    public static SsmStudyResult Run(IModelSource models, StudyManifest manifest, IReadOnlyList<TaskPairs> tasks, SsmStudyOptions options, IFeatureStore? store = null,
        IProgress<StudyProgress>? progress = null)
    {
        Check(manifest, tasks, options);
        var units = Units(manifest, tasks, options);
        var parts = Enumerable.Range(0, manifest.Entries.Count)
            .Select(i => Measure(models, manifest, i, tasks, options, units.Where(u => u.Model == i).ToList(), spectra: true, store, progress)).ToList();
        return Assemble(manifest, tasks, parts);
    }

    /// <summary>
    /// The probe units of a run in the order the study fits them: per model (manifest order), per task, per mapped layer.
    /// A sharded run gives shard I of N a contiguous range of these.
    /// </summary>
    public static IReadOnlyList<SsmUnit> Units(StudyManifest manifest, IReadOnlyList<TaskPairs> tasks, SsmStudyOptions options) =>
        manifest.Entries.SelectMany((e, i) => tasks.SelectMany(t => MapLayers(e.Name, e.NLayers, options.Probe.Layers).Select(m => m.Layer).Distinct().Order()
            .Select(layer => new SsmUnit(i, t.Task, layer)))).ToList();

    /// <summary>
    /// One model's part of the study: its row and layer map, the features of the tasks <paramref name="units"/> name
    /// (cached per (model, task)), the probes of those units and, with <paramref name="spectra"/>, its kernel spectra.
    /// The model and its tokenizer come from <paramref name="models"/> (the entry's folder).
    /// </summary>
    public static SsmModelPart Measure(IModelSource models, StudyManifest manifest, int index, IReadOnlyList<TaskPairs> tasks, SsmStudyOptions options, IReadOnlyList<SsmUnit> units,
        bool spectra, IFeatureStore? store = null, IProgress<StudyProgress>? progress = null)
    {
        var e = manifest.Entries[index];
        int modelIndex = index + 1;
        var stages = new Dictionary<string, double>();
        var notes = new List<string>();
        var features = new List<FeatureRow>();
        var probes = new List<ProbeRow>();
        var pairsHash = tasks.ToDictionary(t => t.Task, t => Hash(t.Pairs.Select(p => $"{p.Id}\t{p.Label}\t{p.IsTrain}\t{p.A.Start},{p.A.End}\t{p.B.Start},{p.B.End}\t{p.Code}")));
        var tokenizer = models.OpenTokenizer(e.Directory);
        using var model = models.OpenModel(e.Directory);
        var info = model.Info;
        var row = new StudyModel(e.Name, e.Folder, e.Role, e.Variant, e.From, info.Architecture, info.NLayers, info.DModel,
            model.parameters().Sum(p => p.NumberOfElements), e.ConvKernelSize);
        var map = MapLayers(e.Name, info.NLayers, options.Probe.Layers);
        var layers = map.Select(m => m.Layer).Distinct().Order().ToList();
        int maxTokens = options.Probe.MaxTokens ?? PairFeatures.MaxTokens(model);
        var mine = tasks.Where(t => units.Any(u => u.Task == t.Task)).ToList();

        // features: cached per (model, task); the missing tasks are extracted together in one pass over their functions
        var sw = Stopwatch.StartNew();
        string modelKey = e.Name.Replace('/', '-') + "-" + ModelKey(e, maxTokens);
        var data = new Dictionary<string, IReadOnlyDictionary<int, ProbeDataset>>();
        var missing = new List<TaskPairs>();
        foreach (var t in mine)
        {
            if (store is not null && store.TryLoad(FeatureKey(modelKey, t.Task, pairsHash[t.Task]), layers, out var cached, out var rep))
            {
                data[t.Task] = cached;
                features.Add(new FeatureRow(e.Name, t.Task, rep.Functions, rep.FunctionsTruncated, rep.PairsKept, rep.PairsSkipped, rep.PairsSameTokens, rep.MaxTokens, true, 0));
            }
            else missing.Add(t);
        }
        if (missing.Count > 0)
        {
            string stage = $"features {modelIndex}/{manifest.Entries.Count} {e.Name}";
            var extracted = PairFeatures.ExtractTasks(model, tokenizer, missing.Select(t => t.Pairs).ToList(), layers, maxTokens, options.Probe.BatchSize,
                functionsDone: (done, total) => progress?.Report(new StudyProgress(stage, done, total)));
            for (int i = 0; i < missing.Count; i++)
            {
                var (byLayer, rep) = extracted[i];
                data[missing[i].Task] = byLayer;
                store?.Save(FeatureKey(modelKey, missing[i].Task, pairsHash[missing[i].Task]), byLayer, rep);
                features.Add(new FeatureRow(e.Name, missing[i].Task, rep.Functions, rep.FunctionsTruncated, rep.PairsKept, rep.PairsSkipped, rep.PairsSameTokens,
                    rep.MaxTokens, false, rep.Seconds));
            }
        }
        Add(stages, "features", sw);

        sw.Restart();
        int probed = 0;
        foreach (var u in units)
        {
            probes.AddRange(ProbeStudy.Probe(e.Name, data[u.Task][u.Layer], options.Probe));
            progress?.Report(new StudyProgress($"probes {modelIndex}/{manifest.Entries.Count} {e.Name}", ++probed, units.Count));
        }
        Add(stages, "probes", sw);

        sw.Restart();
        ModelKernels? kernels = null;
        if (spectra)
        {
            switch (model)
            {
                case BigsForMaskedLM b:
                    kernels = SsmKernelAnalysis.Bigs(b, e.Name, options.KernelLength);
                    break;
                case MambaForCausalLM mb:
                    var inputs = tasks.SelectMany(t => t.Pairs).Select(p => p.Code).Distinct().Take(options.MambaFunctions)
                        .Select(code => tokenizer.Encode(code).Ids.Take(options.MambaMaxLag).Select(i => (long)i).ToArray()).ToList();
                    kernels = SsmKernelAnalysis.Mamba(mb, e.Name, options.MambaMaxLag, inputs);
                    notes.Add($"{e.Name}: Mamba is a selective SSM; its spectra are of effective input-dependent kernels averaged over {inputs.Count} functions of the pairs (beyond the paper)");
                    break;
                default:
                    notes.Add($"{e.Name}: {info.Architecture} has no SSM kernels; spectra skipped");
                    break;
            }
            progress?.Report(new StudyProgress("spectra", modelIndex, manifest.Entries.Count));
            Add(stages, "spectra", sw);
        }
        return new SsmModelPart(index, spectra, row, map, features, probes, kernels, notes, stages);
    }

    /// <summary>
    /// The result from every model's parts (a model may come in several parts from several shards, in shard order; the
    /// one with <see cref="SsmModelPart.Spectra"/> set gives the spectra and notes): probes in part order, one feature row
    /// per (model, task) in task order, stage seconds summed, then shifts, scores, retention and claims computed once.
    /// </summary>
    public static SsmStudyResult Assemble(StudyManifest manifest, IReadOnlyList<TaskPairs> tasks, IReadOnlyList<SsmModelPart> parts)
    {
        var stages = new Dictionary<string, double>();
        var notes = new List<string>();
        foreach (var t in tasks.Where(t => PaperPairs.TryGetValue(t.Task, out var pp) && (t.Train, t.Test) != pp))
            notes.Add($"{t.Task}: {t.Train}/{t.Test} train/test pairs, the paper used {PaperPairs[t.Task].Train}/{PaperPairs[t.Task].Test}");
        var models = new List<StudyModel>(); var layerMap = new List<LayerMapRow>(); var features = new List<FeatureRow>(); var probes = new List<ProbeRow>();
        var spectra = new List<(ManifestEntry Entry, ModelKernels Kernels)>();
        for (int i = 0; i < manifest.Entries.Count; i++)
        {
            var mine = parts.Where(p => p.Index == i).ToList();
            var main = mine.Where(p => p.HasSpectra).ToList() is [var one] ? one
                : throw new InvalidDataException($"{manifest.Entries[i].Name}: expected exactly one part with its spectra, found {mine.Count(p => p.HasSpectra)} among {mine.Count} parts");
            models.Add(main.Model);
            layerMap.AddRange(main.LayerMap);
            foreach (var t in tasks)
                if (mine.SelectMany(p => p.Features).FirstOrDefault(f => f.Task == t.Task) is { } f) features.Add(f);
            probes.AddRange(mine.SelectMany(p => p.Probes));
            if (main.Spectra is { } k) spectra.Add((manifest.Entries[i], k));
            notes.AddRange(main.Notes);
            foreach (var p in mine) foreach (var (stage, sec) in p.StageSeconds) stages[stage] = (stages.TryGetValue(stage, out var had) ? had : 0) + sec;
        }

        foreach (var g in features.Where(f => f.FunctionsTruncated > 0).GroupBy(f => (f.Task, f.FunctionsTruncated, f.MaxTokens, f.PairsSkipped)))
            notes.Add($"{g.Key.Task}: {g.Key.FunctionsTruncated} functions truncated to {g.Key.MaxTokens} tokens, {g.Key.PairsSkipped} pairs skipped " +
                $"({string.Join(", ", g.Select(f => f.Model))})");
        var kernels = spectra.SelectMany(s => s.Kernels.Kernels.Select(k => new KernelRow(s.Entry.Name, s.Entry.Role, s.Entry.Variant, s.Kernels.Kind, k.Layer, k.Direction,
            k.Metrics.Length, k.Metrics.NBins, k.Metrics.DominantBin, k.Metrics.DominantFrequency, k.Metrics.Centroid, k.Metrics.Log10LowHighRatio,
            KernelSpectrum.Name(k.Metrics.Class)))).ToList();
        var shifts = new List<ShiftRow>();
        foreach (var (e, k) in spectra.Where(s => s.Entry.IsFineTuned))
        {
            var pre = spectra.FirstOrDefault(s => s.Entry == manifest.PretrainedOf(e));
            if (pre.Kernels is null) continue;
            shifts.AddRange(SsmKernelAnalysis.Compare(pre.Kernels, k).Select(c => new ShiftRow(e.Role, e.Variant, c.Layer, c.Direction,
                KernelSpectrum.Name(c.Before.Class), KernelSpectrum.Name(c.After.Class), c.Before.Centroid, c.After.Centroid, c.CentroidChange,
                c.Before.Log10LowHighRatio, c.After.Log10LowHighRatio, c.RatioChange, c.Before.DominantFrequency, c.After.DominantFrequency)));
        }
        var scores = manifest.Entries.Where(e => e.IsFineTuned).Select(ReadScores).ToList();
        foreach (var s in scores.Where(s => s.Accuracy is null && s.Mrr is null))
            notes.Add($"{s.Model}: no fine-tuning scores recorded ({s.Source})");
        var retention = Retention(manifest, layerMap, probes);
        var taskRows = tasks.Select(t => new TaskRow(t.Task, t.Source, t.Pairs.Count, t.Train, t.Test,
            PaperPairs.TryGetValue(t.Task, out var pp) ? pp.Train : 0, PaperPairs.TryGetValue(t.Task, out pp) ? pp.Test : 0,
            t.Pairs.Select(p => p.Label).Distinct().Count())).ToList();
        var partial = new SsmStudyResult(manifest.Path, models, taskRows, layerMap, features, probes, kernels, shifts, scores, retention, [], notes, stages, new { });
        return partial with { Claims = SsmClaims.Compare(partial), Spectra = spectra.Select(s => s.Kernels).ToList() };
    }

    /// <summary>Per fine-tuned model, task and probe: mean test accuracy over its mapped layers before and after.</summary>
    public static IReadOnlyList<RetentionRow> Retention(StudyManifest manifest, IReadOnlyList<LayerMapRow> layerMap, IReadOnlyList<ProbeRow> probes)
    {
        var rows = new List<RetentionRow>();
        foreach (var e in manifest.Entries.Where(e => e.IsFineTuned))
        {
            var pre = manifest.PretrainedOf(e);
            foreach (var g in probes.Where(p => p.Model == e.Name).GroupBy(p => (p.Task, p.Probe)))
            {
                var after = AtMappedLayers(layerMap, probes, e.Name, g.Key.Task, g.Key.Probe);
                var before = AtMappedLayers(layerMap, probes, pre.Name, g.Key.Task, g.Key.Probe);
                if (after.Count == 0 || before.Count == 0) continue;
                double b = before.Average(x => x.Accuracy), a = after.Average(x => x.Accuracy);
                rows.Add(new RetentionRow(e.Role, e.Variant, g.Key.Task, g.Key.Probe, b, a, a - b, after.Count));
            }
        }
        return rows;
    }

    /// <summary>Test accuracy of a model's probe at each mapped layer, keyed by paper layer (or by layer when overridden).</summary>
    public static IReadOnlyList<(int Key, double Accuracy)> AtMappedLayers(IReadOnlyList<LayerMapRow> layerMap, IReadOnlyList<ProbeRow> probes,
        string model, string task, string probe) =>
        layerMap.Where(m => m.Model == model)
            .Select(m => (Key: m.PaperLayer ?? m.Layer, Row: probes.FirstOrDefault(p => p.Model == model && p.Task == task && p.Probe == probe && p.Layer == m.Layer)))
            .Where(x => x.Row is not null).Select(x => (x.Key, x.Row!.TestAccuracy)).ToList();

    /// <summary>Scores from the fine-tuned folder's finetune_result.json (written by `sharplens finetune`): accuracy, macro-F1, MRR.</summary>
    public static ScoreRow ReadScores(ManifestEntry e)
    {
        var path = Path.Combine(e.Directory, "finetune_result.json");
        if (!File.Exists(path)) return new ScoreRow(e.Name, e.Role, e.Variant, null, null, null, "no finetune_result.json");
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object"); }
        catch (System.Text.Json.JsonException x) { throw new InvalidDataException($"{path}: expected a JSON object, found invalid JSON ({x.Message})"); }
        double? Get(params string[] names)
        {
            foreach (var kv in o)
                if (names.Contains(kv.Key.Replace("_", ""), StringComparer.OrdinalIgnoreCase) && kv.Value is JsonValue v && v.TryGetValue<double>(out var d)) return d;
            return null;
        }
        return new ScoreRow(e.Name, e.Role, e.Variant, Get("accuracy"), Get("macrof1"), Get("mrr"), Path.Combine(e.Folder, "finetune_result.json"));
    }

    static string ModelKey(ManifestEntry e, int maxTokens)
    {
        var files = Directory.GetFiles(e.Directory).Where(f => Path.GetFileName(f) == "config.json" || f.EndsWith(".safetensors") || f.EndsWith(".bin")
            || f.EndsWith(".pth") || f.EndsWith(".index.json")).Where(f => Path.GetFileName(f) != "reference.safetensors").Order(StringComparer.Ordinal);
        using var sha = SHA256.Create();
        foreach (var f in files)
        {
            using var s = File.OpenRead(f);
            var h = sha.ComputeHash(s);
            var name = System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(f));
            sha.TransformBlock(name, 0, name.Length, null, 0);
            sha.TransformBlock(h, 0, h.Length, null, 0);
        }
        var tail = System.Text.Encoding.UTF8.GetBytes($"{e.TokenizerHash}|{maxTokens}|{PairFeaturesVersion}");
        sha.TransformFinalBlock(tail, 0, tail.Length);
        return Convert.ToHexString(sha.Hash!)[..16].ToLowerInvariant();
    }

    /// <summary>Bumped when pair vectors are computed differently, so old caches are not reused.</summary>
    const string PairFeaturesVersion = "resid_post-meanpool/1";

    static string FeatureKey(string modelKey, string task, string pairsHash) => $"{modelKey}-{task}-{pairsHash}";

    static string Hash(IEnumerable<string> lines)
    {
        using var sha = SHA256.Create();
        foreach (var l in lines)
        {
            var b = System.Text.Encoding.UTF8.GetBytes(l + "\n");
            sha.TransformBlock(b, 0, b.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!)[..12].ToLowerInvariant();
    }

    static void Add(Dictionary<string, double> stages, string name, Stopwatch sw) =>
        stages[name] = (stages.TryGetValue(name, out var s) ? s : 0) + sw.Elapsed.TotalSeconds;
}
