// Saves a trained model as a Hugging Face folder: config.json, model.safetensors (HF names), tokenizer files, reference.safetensors.
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Training;

/// <summary>Writes the output folder of a training run.</summary>
internal static class HfExport
{
    /// <summary>
    /// Writes config.json, model.safetensors (parameter names are the HF checkpoint keys; a tied unembedding is not a
    /// parameter, so it is not stored), the tokenizer files, and reference.safetensors: <paramref name="referenceIds"/>
    /// [1, pos], the logits and a few hooks of this model, so <c>sharplens verify DIR DIR/reference.safetensors</c> holds.
    /// </summary>
    public static void Save(string outDir, HookedModel model, JsonObject config, TrainTokenizer tokenizer, long[] referenceIds, ScalarType? storage = null)
    {
        SaveWeights(outDir, model, config, tokenizer, storage);
        WriteReference(Path.Combine(outDir, "reference.safetensors"), model, referenceIds);
    }

    /// <summary>
    /// config.json, model.safetensors (in <paramref name="storage"/>, default the parameters' dtype; the loader reads
    /// F32/BF16/F16) and the tokenizer files — a loadable HF folder without a reference (training snapshots).
    /// </summary>
    public static void SaveWeights(string outDir, HookedModel model, JsonObject config, TrainTokenizer tokenizer, ScalarType? storage = null)
    {
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteText(Path.Combine(outDir, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        using (var scope = NewDisposeScope())
            SafeTensorsWriter.Write(Path.Combine(outDir, "model.safetensors"),
                model.named_parameters().Select(p => (p.name, storage is ScalarType d ? p.parameter.detach().to(d) : (Tensor)p.parameter)));
        if (tokenizer.Directory is string dir)
            foreach (var name in TokenizerFiles.Names)
            {
                var src = Path.Combine(dir, name);
                if (File.Exists(src) && Path.GetFullPath(src) != Path.GetFullPath(Path.Combine(outDir, name)))
                    File.Copy(src, Path.Combine(outDir, name), overwrite: true);
            }
    }

    /// <summary>Rounds every parameter to the nearest bf16 value in place (kept in its dtype), so a bf16 export loses nothing more.</summary>
    public static void RoundToBf16(HookedModel model) => RoundToBf16(model.parameters());

    /// <summary>Rounds these parameters to the nearest bf16 value in place (kept in their dtype).</summary>
    public static void RoundToBf16(IEnumerable<Tensor> parameters)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var p in parameters) p.copy_(p.to(ScalarType.BFloat16).to(p.dtype));
    }

    /// <summary>The hooks stored in reference.safetensors: the embedding, the first and last residual stream, the final norm.</summary>
    public static List<string> ReferenceHooks(HookedModel model)
    {
        var names = model.HookCatalog.Select(h => h.Name.ToString()).ToList();
        int last = model.Info.NLayers - 1;
        var wanted = new[] { "hook_embed", "blocks.0.hook_resid_post", $"blocks.{last}.hook_resid_post", "ln_final.hook_normalized" };
        return wanted.Where(names.Contains).Distinct().ToList();
    }

    public static void WriteReference(string path, HookedModel model, long[] ids)
    {
        using var scope = NewDisposeScope();
        var input = tensor(ids, [1, ids.Length]);
        var hooks = ReferenceHooks(model);
        bool training = model.training;
        model.eval();
        using var cache = model.RunWithCache(input, HookFilter.Names(hooks), dtype: ScalarType.Float32, stopAt: ModelOutputs.BodyEnd(model));
        var logits = cache.Logits ?? ModelOutputs.Logits(model, input).to(ScalarType.Float32);   // a checkpoint without an LM head: its own output
        if (training) model.train();
        var tensors = new List<(string, Tensor)> { ("input_ids", input), ("logits", logits) };
        tensors.AddRange(hooks.Where(cache.Contains).Select(h => (h, cache[h])));
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["source"] = "sharplens train" });
    }
}
