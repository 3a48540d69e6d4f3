// How studies that visit many model folders open them: passed in by the caller, so Analysis never reads a model folder itself.
using SharpLens.Tokenization;

namespace SharpLens.Loading;

/// <summary>
/// Opens the model and the tokenizer of a folder. A study that visits several models (one in memory at a time) takes one
/// of these instead of loading them itself; the CLI passes <see cref="ModelFolders"/>.
/// </summary>
public interface IModelSource
{
    /// <summary>The model of <paramref name="directory"/>; the caller disposes it.</summary>
    HookedModel OpenModel(string directory);

    /// <summary>The tokenizer of <paramref name="directory"/>.</summary>
    Tokenizer OpenTokenizer(string directory);
}

/// <summary>Hugging Face folders: models through <see cref="ModelLoader.Load"/> (with <paramref name="options"/>), tokenizers through <see cref="Tokenizer.Load"/>.</summary>
public sealed class ModelFolders(LoadOptions? options = null) : IModelSource
{
    /// <summary>Float32 models.</summary>
    public static ModelFolders Default { get; } = new();

    /// <inheritdoc/>
    public HookedModel OpenModel(string directory) => ModelLoader.Load(directory, options);
    /// <inheritdoc/>
    public Tokenizer OpenTokenizer(string directory) => Tokenizer.Load(directory);
}
