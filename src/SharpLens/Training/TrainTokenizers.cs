// Opens a tokenizer folder for training: SharpLens' ByteBpe files directly; other HF tokenizers through SharpLens.Tokenization.
namespace SharpLens.Training;

/// <summary>Loads <see cref="TrainTokenizer"/>s from folders.</summary>
public static class TrainTokenizers
{
    /// <summary>The tokenizer in <paramref name="dir"/>.</summary>
    public static TrainTokenizer Load(string dir)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"tokenizer folder not found: {dir}");
        if (!File.Exists(Path.Combine(dir, "tokenizer.json"))) throw new FileNotFoundException($"{dir}: expected tokenizer.json");
        return ByteBpe.Load(dir).ForTraining(dir);
    }
}
