// A model family as the loader finds it: model_type, config → model + checkpoint map, fresh initialisation.
namespace SharpLens.Loading;

/// <summary>
/// One architecture family, declared once in its folder under <c>Architectures/</c> (a sealed class with a public
/// parameterless constructor). <see cref="ModelLoader"/> finds every family of this assembly by its type, so Loading
/// never names an architecture and a new family needs no edit outside its folder.
/// </summary>
internal interface IModelFamily
{
    /// <summary>The config.json <c>model_type</c> this family reads.</summary>
    string ModelType { get; }

    /// <summary>Builds the model (parameters uninitialised) and its checkpoint map from a config.</summary>
    Architecture Create(HfConfig config);

    /// <summary>Initialises a model this family created for training from scratch (<paramref name="std"/>: initializer_range).</summary>
    void InitWeights(HookedModel model, double std);

    /// <summary>This family's config in another layout (no <c>model_type</c>), rewritten as HF's; null when it is not one.</summary>
    HfConfig? Adopt(HfConfig config) => null;
}

/// <summary>The families of this assembly, by model_type.</summary>
internal static class ModelFamilies
{
    static readonly IReadOnlyDictionary<string, IModelFamily> ByType = Find();

    static Dictionary<string, IModelFamily> Find()
    {
        var families = typeof(IModelFamily).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IModelFamily).IsAssignableFrom(t))
            .Select(t => (IModelFamily)Activator.CreateInstance(t)!).ToList();
        var byType = new Dictionary<string, IModelFamily>(StringComparer.Ordinal);
        foreach (var f in families)
            if (!byType.TryAdd(f.ModelType, f))
                throw new InvalidOperationException($"model_type '{f.ModelType}' is declared by {byType[f.ModelType].GetType().Name} and {f.GetType().Name}");
        return byType;
    }

    /// <summary>model_type values SharpLens can load, in ordinal order.</summary>
    public static IReadOnlyList<string> ModelTypes { get; } = [.. ByType.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The family of a config's model_type (after any family adopted a config without one).</summary>
    public static IModelFamily Of(ref HfConfig config)
    {
        if (!config.Has("model_type"))
            foreach (var f in ModelTypes.Select(t => ByType[t]))
                if (f.Adopt(config) is { } adopted) { config = adopted; break; }
        var modelType = config.String("model_type");
        return ByType.TryGetValue(modelType, out var family) ? family
            : throw new NotSupportedException($"{config.Path}: model_type '{modelType}' is not supported (supported: {string.Join(", ", ModelTypes)})");
    }

}
