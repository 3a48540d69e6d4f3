// `sharplens run`: next-token top-k per sequence, optionally dumping logits and hooks to safetensors under their hook names.
using System.CommandLine;
using SharpLens.Hooks;
using SharpLens.Loading;
using Spectre.Console;
using static TorchSharp.torch;

namespace SharpLens.Cli.Commands;

internal static class RunCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("model-dir") { Description = "Hugging Face checkpoint folder" };
        var prompt = new Option<string[]>("--prompt") { Description = "prompt text (repeatable); needs the folder's tokenizer", AllowMultipleArgumentsPerToken = false };
        var ids = new Option<string>("--ids") { Description = "token ids: sequences separated by ';', ids by ','; shorter sequences are right-padded with an attention mask" };
        var topK = new Option<int>("--top-k") { Description = "how many next-token candidates to show", DefaultValueFactory = _ => 5 };
        var dump = new Option<string>("--dump") { Description = "write input_ids, attention_mask, logits and the --hooks tensors to this .safetensors file" };
        var hooks = new Option<string[]>("--hooks") { Description = "hook names or globs to dump (e.g. 'blocks.*.hook_resid_post')", AllowMultipleArgumentsPerToken = true };
        var dtype = CliCommon.DTypeOption();
        var cmd = new Command("run", "Run a model on prompts or token ids; show next-token top-k; optionally dump activations.")
            { dir, prompt, ids, topK, dump, hooks, dtype };
        cmd.SetAction(r =>
        {
            var prompts = r.GetValue(prompt) ?? [];
            var idText = r.GetValue(ids);
            if ((prompts.Length > 0) == (idText is not null)) throw new UsageException("give exactly one of --prompt or --ids");
            var hookPatterns = r.GetValue(hooks) ?? [];
            var dumpPath = r.GetValue(dump) is { } d ? CliCommon.OutputFile(d, "--dump") : null;
            if (hookPatterns.Length > 0 && dumpPath is null) throw new UsageException("--hooks needs --dump FILE.safetensors");
            int k = r.GetValue(topK);
            if (k < 1) throw new UsageException($"--top-k must be ≥ 1, found {k}");
            var modelDir = r.GetValue(dir)!;
            var sequences = idText is not null ? ParseIds(idText) : PromptIds.Encode(modelDir, prompts);

            using var model = CliCommon.LoadModel(modelDir, r.GetValue(dtype)!);
            if (model.Head != ModelHead.LanguageModel)
                throw new NotSupportedException($"{modelDir}: run reads next-token logits, but this {model.Info.Architecture} checkpoint has no LM head " +
                    $"({model.Head}); verify compares its outputs with a reference");
            foreach (var s in sequences)
                foreach (var id in s)
                    if (id < 0 || id >= model.Info.DVocab) throw new UsageException($"token id {id} is outside the vocabulary [0, {model.Info.DVocab})");
            using var scope = NewDisposeScope();
            var (input, mask) = Batch(sequences);
            var filter = HookFilter.Glob(hookPatterns);
            var matched = model.HookCatalog.Where(h => filter.Matches(h.Name)).Select(h => h.Name.ToString()).ToList();
            var unmatched = hookPatterns.Where(p => !model.HookCatalog.Any(h => HookFilter.Glob(p).Matches(h.Name))).ToList();
            foreach (var p in unmatched) model.Hooks.Validate(p);   // throws with the nearest names
            using var cache = model.RunWithCache(input, HookFilter.Names(matched), mask, dtype: ScalarType.Float32);
            var logits = cache.Logits!;
            for (int b = 0; b < sequences.Count; b++)
            {
                int last = sequences[b].Length - 1;
                var probs = logits[b, last].to(ScalarType.Float32).softmax(-1);
                var (vals, idx) = probs.topk(Math.Min(k, (int)probs.shape[0]));
                var table = new Table().Title($"sequence {b} ({sequences[b].Length} tokens): next token").AddColumn("rank").AddColumn("id").AddColumn("prob").AddColumn("logit");
                for (int j = 0; j < vals.shape[0]; j++)
                {
                    long id = idx[j].item<long>();
                    table.AddRow($"{j + 1}", $"{id}{PromptIds.Describe(modelDir, (int)id)}", $"{vals[j].item<float>():F4}", $"{logits[b, last, id].item<float>():F4}");
                }
                AnsiConsole.Write(table);
            }
            if (dumpPath is not null)
            {
                var tensors = new List<(string, Tensor)> { ("input_ids", input), ("logits", logits) };
                if (mask is not null) tensors.Add(("attention_mask", mask));
                tensors.AddRange(matched.Select(n => (n, cache[n])));
                SafeTensorsWriter.Write(dumpPath, tensors);
                Console.WriteLine($"wrote {tensors.Count} tensors to {dumpPath}");
            }
            return 0;
        });
        return cmd;
    }

    internal static List<long[]> ParseIds(string text)
    {
        var seqs = new List<long[]>();
        foreach (var part in text.Split(';'))
        {
            var s = part.Trim();
            if (s.Length == 0) throw new UsageException("--ids has an empty sequence");
            seqs.Add(s.Split(',').Select(x => long.TryParse(x.Trim(), out var v) ? v : throw new UsageException($"--ids: '{x.Trim()}' is not an integer")).ToArray());
        }
        return seqs;
    }

    /// <summary>Right-pads to the longest sequence; the mask is null when all lengths are equal.</summary>
    internal static (Tensor Ids, Tensor? Mask) Batch(IReadOnlyList<long[]> seqs)
    {
        int len = seqs.Max(s => s.Length);
        var ids = new long[seqs.Count * len];
        var mask = new long[seqs.Count * len];
        for (int b = 0; b < seqs.Count; b++)
            for (int t = 0; t < seqs[b].Length; t++) { ids[b * len + t] = seqs[b][t]; mask[b * len + t] = 1; }
        var idT = tensor(ids).reshape(seqs.Count, len);
        return (idT, seqs.All(s => s.Length == len) ? null : tensor(mask).reshape(seqs.Count, len));
    }
}
