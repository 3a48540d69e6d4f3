// Shared helpers for training tests: a small synthetic Python corpus, its BPE tokenizer, tiny-model options.
using SharpLens.Training;

namespace SharpLens.Tests.Training;

/// <summary>A temporary corpus + tokenizer, deleted on dispose.</summary>
public sealed class TinyRun : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("sharplens-train-").FullName;
    public string Corpus => Path.Combine(Root, "corpus");
    public string TokenizerDir => Path.Combine(Root, "tok");
    public TrainTokenizer Tokenizer { get; }
    public TokenCache Cache { get; }

    public TinyRun(int files = 12)
    {
        Directory.CreateDirectory(Corpus);
        var rng = new SplitMix64(7);
        string[] names = ["alpha", "beta", "gamma", "delta", "count", "total", "items", "value"];
        for (int f = 0; f < files; f++)
        {
            var sb = new System.Text.StringBuilder();
            for (int i = 0; i < 30; i++)
            {
                string a = names[rng.NextInt(names.Length)], b = names[rng.NextInt(names.Length)];
                int n = 100 + rng.NextInt(900);
                sb.Append(rng.NextInt(3) switch
                {
                    0 => $"def {a}_{i}({b}):\n    \"\"\"Return the size of {b} plus {n}.\"\"\"\n    total = {n}\n    return len(str({b})) + total\n\n",
                    1 => $"{a} = [{b} for {b} in range({n})]\nprint(sum({a}))\n",
                    _ => $"# show the number {n}\nprint(repr({n}))\n",     // never the study template: the cache drops such files
                });
            }
            File.WriteAllText(Path.Combine(Corpus, $"m{f:D2}.py"), sb.ToString());
        }
        File.WriteAllText(Path.Combine(Corpus, "notes.txt"), "not python");
        var docs = TokenCache.ListFiles(Corpus, "*.py").Select(f => File.ReadAllText(Path.Combine(Corpus, f)));
        new SharpLens.Tokenization.BpeTrainer(new SharpLens.Tokenization.BpeTrainerOptions { VocabSize = 320 }).Train(docs).Save(TokenizerDir);
        Tokenizer = TrainTokenizers.Load(TokenizerDir);
        Cache = TokenCache.OpenOrBuild(Corpus, "*.py", Tokenizer, Path.Combine(Root, "cache"));
    }

    /// <summary>A 2-layer, d_model 32 Llama on sequences of 32, batch 4 (128 tokens per step), one thread.</summary>
    public static TrainOptions Options(int steps) => new()
    {
        Arch = "llama", Layers = 2, DModel = 32, Heads = 2, DMlp = 64, SeqLen = 32, Batch = 4, Steps = steps, Lr = 3e-3,
        MinLr = 3e-4, Warmup = 2, Seed = 11, CheckpointEvery = 0, Threads = 1,
    };

    public string Out(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
