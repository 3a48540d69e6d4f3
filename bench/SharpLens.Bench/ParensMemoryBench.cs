// parens-7b: writes a 7B-shaped random Llama (bf16) tensor by tensor, loads it mmapped, runs one batch of the parens study's hooks; peak RSS and times.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SharpLens.Analysis.Parens;
using SharpLens.Code.Datasets;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Bench;

/// <summary>
/// Usage: <c>parens-7b [--dir /tmp/sharplens-parens-7b] [--batch 4] [--layers 32] [--d-model 4096] [--heads 32] [--d-mlp 11008]
/// [--vocab 32016] [--tokenizer DIR] [--keep]</c>. Defaults are CodeLlama-7b's shapes (~13.5 GB in bf16); the folder is
/// deleted afterwards unless --keep. Peak RSS is /proc/self/status VmHWM (file-backed mmap pages that were touched count).
/// </summary>
internal static class ParensMemoryBench
{
    public static int Run(string[] args)
    {
        string Opt(string name, string def) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : def; }
        var dir = Opt("--dir", "/tmp/sharplens-parens-7b");
        int layers = int.Parse(Opt("--layers", "32")), d = int.Parse(Opt("--d-model", "4096")), heads = int.Parse(Opt("--heads", "32"));
        int mlp = int.Parse(Opt("--d-mlp", "11008")), vocab = int.Parse(Opt("--vocab", "32016")), batchSize = int.Parse(Opt("--batch", "4"));
        bool keep = args.Contains("--keep");
        var tokDir = Opt("--tokenizer", FindTokenizer());
        var clock = Stopwatch.StartNew();
        try
        {
            long bytes = WriteCheckpoint(dir, layers, d, heads, mlp, vocab);
            double writeS = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"wrote {bytes / 1e9:F2} GB to {dir} in {writeS:F1} s; VmHWM {Hwm()}");
            clock.Restart();
            using var model = ModelLoader.Load(dir, new LoadOptions { DType = ScalarType.BFloat16 });
            double loadS = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"loaded (bf16, mmap) in {loadS:F1} s; VmRSS {Status("VmRSS")}, VmHWM {Hwm()}");
            var tok = Tokenizer.Load(tokDir);
            var examples = ParensDataset.Generate([1, 2, 3, 4], new SplitSizes(0, 0, (batchSize + 3) / 4), 0).Take(batchSize).ToList();
            var prompts = ParensPrompts.Prepare(tok, examples);
            set_num_threads(Environment.ProcessorCount);

            clock.Restart();
            using var batch = PromptBatch.Of(prompts);
            using (var cache = LastPositionCache.Run(model, batch, ParensMeasures.StudyHooks(model)))
            {
                var readout = model.Readout!;
                var dla = ParensMeasures.Attribution(cache, readout, layers, batch);
                ParensMeasures.LogitLens(cache, readout, layers, batch);
                ParensMeasures.HeadParens(cache, readout, layers, batch, prompts.Select(p => p.LabelId).ToList());
                Console.WriteLine($"study pass (batch {batchSize}, width {batch.Width}) in {clock.Elapsed.TotalSeconds:F1} s; max |Σ DLA − logit diff| {dla.Max(x => Math.Abs(x.Sum - x.Actual)):g3}; VmHWM {Hwm()}");
            }
            double studyS = clock.Elapsed.TotalSeconds;
            clock.Restart();
            using (var means = new MeanActivations())
            {
                var names = Enumerable.Range(0, layers).SelectMany(l => new[] { HookName.Z(l), HookName.AttnOut(l), HookName.MlpOut(l) }).ToList();
                using (var cache = model.RunWithCache(batch.Ids, HookFilter.Names(names.ToArray()), batch.Mask, dtype: ScalarType.Float32))
                using (NewDisposeScope()) means.Add(cache, batch, names);
                double meanS = clock.Elapsed.TotalSeconds;
                clock.Restart();
                Ablation.Score(model, batch, [Ablation.Mean(AblationTarget.OfHead(layers / 2, 0), means, batch)]);
                Console.WriteLine($"mean-activation cache pass {meanS:F1} s; one ablated forward {clock.Elapsed.TotalSeconds:F1} s; VmHWM {Hwm()}");
            }
            Console.WriteLine($"| {layers}×{d}, {heads} heads, d_mlp {mlp}, vocab {vocab} | {bytes / 1e9:F2} GB | write {writeS:F0} s | load {loadS:F1} s | study pass (batch {batchSize}) {studyS:F1} s | peak RSS {Hwm()} |");
            return 0;
        }
        finally
        {
            if (!keep && Directory.Exists(dir)) { Directory.Delete(dir, true); Console.WriteLine($"deleted {dir}"); }
        }
    }

    static string FindTokenizer()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "SharpLens.slnx"))) d = d.Parent;
        return Path.Combine(d?.Parent?.FullName ?? ".", "shared", "fixtures", "tokenizers", "codellama");
    }

    static string Status(string key) => File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key + ":"))?.Split(':')[1].Trim() ?? "?";
    static string Hwm() => Status("VmHWM") is var s && s.EndsWith(" kB") && long.TryParse(s[..^3], out var kb) ? $"{kb / 1048576.0:F2} GiB" : Status("VmHWM");

    /// <summary>Writes config.json and model.safetensors (bf16, random N(0, 0.02) weights, unit norms) one tensor at a time.</summary>
    static long WriteCheckpoint(string dir, int layers, int d, int heads, int mlp, int vocab)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["architectures"] = new[] { "LlamaForCausalLM" }, ["model_type"] = "llama", ["hidden_size"] = d, ["intermediate_size"] = mlp,
            ["num_hidden_layers"] = layers, ["num_attention_heads"] = heads, ["num_key_value_heads"] = heads, ["vocab_size"] = vocab,
            ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 1e6, ["max_position_embeddings"] = 16384, ["hidden_act"] = "silu", ["tie_word_embeddings"] = false,
            ["bos_token_id"] = 1, ["eos_token_id"] = 2, ["torch_dtype"] = "bfloat16",
        }));
        var shapes = new List<(string Name, long[] Shape)> { ("model.embed_tokens.weight", [vocab, d]) };
        for (int l = 0; l < layers; l++)
        {
            var p = $"model.layers.{l}.";
            shapes.Add((p + "input_layernorm.weight", [d]));
            foreach (var w in new[] { "q_proj", "k_proj", "v_proj", "o_proj" }) shapes.Add((p + $"self_attn.{w}.weight", [d, d]));
            shapes.Add((p + "post_attention_layernorm.weight", [d]));
            shapes.Add((p + "mlp.gate_proj.weight", [mlp, d])); shapes.Add((p + "mlp.up_proj.weight", [mlp, d])); shapes.Add((p + "mlp.down_proj.weight", [d, mlp]));
        }
        shapes.Add(("model.norm.weight", [d])); shapes.Add(("lm_head.weight", [vocab, d]));
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, shape) in shapes)
        {
            long n = shape.Aggregate(1L, (a, b) => a * b) * 2;
            header[name] = new Dictionary<string, object> { ["dtype"] = "BF16", ["shape"] = shape, ["data_offsets"] = new[] { offset, offset + n } };
            offset += n;
        }
        var json = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = new byte[(json.Length + 7) / 8 * 8];
        Array.Fill(padded, (byte)' '); json.CopyTo(padded, 0);
        using var fs = new FileStream(Path.Combine(dir, "model.safetensors"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 22);
        fs.Write(BitConverter.GetBytes((ulong)padded.Length)); fs.Write(padded);
        var gen = new TorchSharp.torch.Generator(0);
        const long chunk = 1 << 24;                                                          // 16M values (32 MB bf16) at a time
        foreach (var (name, shape) in shapes)
        {
            long total = shape.Aggregate(1L, (a, b) => a * b);
            for (long done = 0; done < total; done += chunk)
            {
                using var scope = NewDisposeScope();
                long m = Math.Min(chunk, total - done);
                var t = name.EndsWith("norm.weight") ? ones(m, dtype: ScalarType.BFloat16) : (randn(m, generator: gen) * 0.02).to(ScalarType.BFloat16);
                fs.Write(t.bytes);
            }
        }
        return offset;
    }
}
