// Malformed inputs on disk for the bad-input CLI table: configs, checkpoints, pickles, tokenizers, corpora, JSONL files.
using System.Text;
using SharpLens.Loading;
using SharpLens.Tests.Loading;
using static TorchSharp.torch;

namespace SharpLens.Tests.Cli;

/// <summary>Builds every bad input once per test class, in one temporary folder.</summary>
public sealed class BadInputFiles : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("sharplens-bad-").FullName;

    const string Gpt2 = """{"model_type": "gpt2", "n_embd": 8, "n_head": 2, "n_layer": 1, "vocab_size": 10, "n_positions": 8}""";

    public BadInputFiles()
    {
        // configs (each folder has a tiny valid weights file, so only the config can be at fault)
        Model("cfg-malformed", "{\"model_type\": ");
        Model("cfg-array", "[1, 2]");
        Model("cfg-type", """{"model_type": "t5"}""");
        Model("cfg-negative", """{"model_type": "gpt2", "n_embd": -8, "n_head": 2}""");
        Model("cfg-zero-heads", """{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 0}""");
        Model("cfg-layers", """{"model_type": "llama", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1000000}""");
        Model("cfg-width", """{"model_type": "mamba", "hidden_size": 1073741824}""");
        Model("cfg-heads-divide", """{"model_type": "gpt2", "n_embd": 10, "n_head": 3}""");
        Model("cfg-string", """{"model_type": "llama", "hidden_size": "big"}""");
        Model("cfg-budget", """{"model_type": "llama", "hidden_size": 65536, "num_attention_heads": 64, "num_hidden_layers": 1000, "vocab_size": 4000000}""");
        Model("cfg-positions", """{"model_type": "roberta", "hidden_size": 8, "num_attention_heads": 2, "max_position_embeddings": 2147483647}""");
        Model("cfg-vocab", """{"model_type": "gpt2", "n_embd": 8, "n_head": 2, "vocab_size": -5}""");
        Model("cfg-utf8", null, Encoding.UTF8.GetBytes("{\"model_type\": \"gpt2\", \"x\": \"").Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}"u8.ToArray()).ToArray());
        // a checkpoint without an LM head (a bare RoFormer encoder, zero weights): run reads next-token logits
        const string bare = """{"model_type": "roformer", "architectures": ["RoFormerModel"], "vocab_size": 10, "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 8, "max_position_embeddings": 8}""";
        Directory.CreateDirectory(P("no-lm-head"));
        File.WriteAllText(P("no-lm-head/config.json"), bare);
        using (var m = ModelLoader.Create(HfConfig.FromJson(bare)).Model)
            SafeTensorsWriter.Write(P("no-lm-head/model.safetensors"), m.named_parameters().Select(p => (p.name, zeros_like(p.parameter))).ToList());
        Directory.CreateDirectory(P("no-config"));
        Directory.CreateDirectory(P("no-weights"));
        File.WriteAllText(P("no-weights/config.json"), Gpt2);

        // safetensors
        Weights("st-short", "model.safetensors", [1, 2, 3]);
        Weights("st-header-past-end", "model.safetensors", [.. BitConverter.GetBytes(1_000_000_000UL), .. "{}"u8]);
        Weights("st-header-json", "model.safetensors", SafeTensors("{\"a\": "));
        Weights("st-shape-overflow", "model.safetensors", SafeTensors("""{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}"""));
        Weights("st-negative-dim", "model.safetensors", SafeTensors("""{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}""", 4));
        Weights("st-overlap", "model.safetensors", SafeTensors("""{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}""", 8));
        Weights("st-dtype", "model.safetensors", SafeTensors("""{"a": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 1]}}""", 1));
        Weights("st-past-data", "model.safetensors", SafeTensors("""{"a": {"dtype": "F32", "shape": [1000000], "data_offsets": [0, 4000000]}}""", 8));

        // PyTorch zip / pickle
        Weights("pt-not-zip", "pytorch_model.bin", Encoding.ASCII.GetBytes("this is not a zip archive"));
        Zip("pt-malicious", Pickle(Encoding.ASCII.GetBytes("cos\nsystem\n(X\u0002\0\0\0lstR."))); // os.system("ls")
        Zip("pt-cycle-wrapper", Pickle([(byte)'}', (byte)'q', 0, .. Str("model"), (byte)'h', 0, (byte)'s', (byte)'.']));
        Zip("pt-cycle-flatten", Pickle([(byte)'}', (byte)'q', 0, .. Str("layer"), (byte)'h', 0, (byte)'s', (byte)'.']));
        Zip("pt-deep", Pickle([.. Enumerable.Range(0, 100_000).SelectMany(_ => (byte[])[(byte)'}', .. Str("a")]), (byte)'}',
            .. Enumerable.Repeat((byte)'s', 100_000), (byte)'.']));
        Zip("pt-truncated", Pickle([(byte)'}', (byte)'X', 0xff, 0xff, 0xff, 0x7f, (byte)'a']));
        Zip("pt-unicode8", Pickle([(byte)'}', 0x8d, .. BitConverter.GetBytes(long.MaxValue), (byte)'.']));
        var stride = new PickleWriter().OrderedDict().Str("w").Tensor("FloatStorage", "0", 4, 0, [4, 4], [long.MaxValue / 2, 1]).Op((byte)'s').Finish();
        Zip("pt-stride", stride, ("0", new byte[16]));
        Zip("pt-no-pkl", null);

        // tokenizers
        Tok("tok-ok", """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}}""");
        Tok("tok-malformed", """{"model": {"type": "BPE", "vocab": """);
        Tok("tok-absurd-id", """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 2147483647}, "merges": []}}""");
        Tok("tok-negative-id", """{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}""");
        Tok("tok-added-absurd", """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "added_tokens": [{"id": 2000000000, "content": "<x>"}]}""");
        Tok("tok-added-string-id", """{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "added_tokens": [{"id": "one", "content": "<x>"}]}""");
        Tok("tok-wordpiece", """{"model": {"type": "WordPiece", "vocab": {"a": 0}}}""");

        // corpora and JSONL inputs
        Write("corpus-binary/a.py", [0x00, 0x01, 0xFF, 0xFE, 0x80]);
        Write("corpus-empty-files/a.py", []);
        Directory.CreateDirectory(P("corpus-none"));
        Write("corpus-bad.json", System.Text.Encoding.UTF8.GetBytes("{\"sources\": ["));
        Write("source-no-code/notes.txt", "just text\n"u8.ToArray());
        Write("source-no-functions/a.py", "x = 1\n"u8.ToArray());
        Write("inputs/bad-json.jsonl", "{\"text\": \n"u8.ToArray());
        Write("inputs/bad-utf8.jsonl", [.. "{\"text\": \"a"u8, 0xFF, .. "\"}\n"u8]);
        Write("inputs/empty.jsonl", []);
        Write("inputs/ids-bad.jsonl", "{\"input_ids\": [1, \"x\"]}\n"u8.ToArray());
        Write("inputs/pairs-bad.jsonl", "{\"task\": \"sibling\"}\n"u8.ToArray());
        Write("inputs/garbage.safetensors", "not a safetensors file at all"u8.ToArray());
        Write("a-file", "x"u8.ToArray());

        // SSM-Interpret: encoder folders (config + a trained tokenizer; the data or role is refused before weights are read),
        // a functions corpus without annotations, literals or docstrings, and study manifests
        new SharpLens.Tokenization.BpeTrainer(new SharpLens.Tokenization.BpeTrainerOptions { VocabSize = 300 })
            .Train(["def f(a, b):\n    return a + b\n"]).Save(P("enc-bigs"));
        foreach (var name in new[] { "enc-bigs2", "enc-gpt2" })
            foreach (var f in Directory.GetFiles(P("enc-bigs"))) Write($"{name}/{Path.GetFileName(f)}", File.ReadAllBytes(f));
        Write("enc-bigs/config.json", """{"model_type": "BiGS", "hidden_size": 8, "num_hidden_layers": 1, "intermediate_size": 16, "vocab_size": 300, "max_position_embeddings": 512}"""u8.ToArray());
        Write("enc-bigs2/config.json", """{"model_type": "BiGS", "hidden_size": 8, "num_hidden_layers": 1, "intermediate_size": 16, "vocab_size": 300}"""u8.ToArray());
        Write("enc-gpt2/config.json", Encoding.UTF8.GetBytes(Gpt2));
        var plain = "{\"path\": \"a.py\", \"name\": \"f\", \"code\": \"def f(a, b):\\n    return a + b\", \"docstring\": null}\n"u8.ToArray();
        Write("functions-plain/train.jsonl", plain);
        Write("functions-plain/test.jsonl", plain);
        var documented = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["code"] = "def f(a, b):\n    \"\"\"Add the two numbers a and b.\"\"\"\n    return a + b + 1000",
            ["docstring"] = "Add the two numbers a and b.", ["code_without_docstring"] = "def f(a, b):\n    return a + b + 1000",
        }) + "\n");
        Write("functions-one-pair/train.jsonl", documented);
        Write("functions-one-pair/test.jsonl", documented);
        Write("study-missing.json", """{"models": [{"folder": "nowhere", "role": "codessm", "variant": "pretrained"}]}"""u8.ToArray());
        Write("study-twice.json", """{"models": [{"folder": "enc-bigs", "role": "codessm", "variant": "pretrained"}, {"folder": "enc-bigs2", "role": "codessm", "variant": "pretrained"}]}"""u8.ToArray());
    }

    public string P(string relative) => Path.Combine(Dir, relative);

    void Write(string relative, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(P(relative))!);
        File.WriteAllBytes(P(relative), bytes);
    }

    void Model(string name, string? config, byte[]? raw = null)
    {
        Write(name + "/config.json", raw ?? Encoding.UTF8.GetBytes(config!));
        using var t = ones(4);
        SafeTensorsWriter.Write(P(name + "/model.safetensors"), [("x", t)]);
    }

    void Weights(string name, string file, byte[] bytes)
    {
        Write(name + "/config.json", Encoding.UTF8.GetBytes(Gpt2));
        Write(name + "/" + file, bytes);
    }

    void Tok(string name, string json) => Write(name + "/tokenizer.json", Encoding.UTF8.GetBytes(json));

    static byte[] SafeTensors(string header, int dataBytes = 0)
    {
        var h = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. new byte[dataBytes]];
    }

    static byte[] Str(string s) => [(byte)'X', .. BitConverter.GetBytes(s.Length), .. Encoding.UTF8.GetBytes(s)];
    static byte[] Pickle(byte[] body) => [0x80, 2, .. body];

    void Zip(string name, byte[]? pickle, params (string Key, byte[] Bytes)[] storages)
    {
        Write(name + "/config.json", Encoding.UTF8.GetBytes(Gpt2));
        if (pickle is null)
        {
            using var fs = File.Create(P(name + "/pytorch_model.bin"));
            using var zip = new System.IO.Compression.ZipArchive(fs, System.IO.Compression.ZipArchiveMode.Create);
            using var s = zip.CreateEntry("archive/version").Open();
            s.Write("3\n"u8);
            return;
        }
        TorchZipWriter.Write(P(name + "/pytorch_model.bin"), pickle, storages);
    }

    public void Dispose() { try { Directory.Delete(Dir, true); } catch (IOException) { } }
}
