// The SSM-Interpret manifest: which model folder plays which role (codessm, rocoder, codessm-hf, mamba) in which variant.
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharpLens.Analysis.SsmInterpret;

/// <summary>
/// One model of the study. <see cref="Folder"/> is as written in the manifest (relative to it), <see cref="Directory"/>
/// the resolved path, <see cref="From"/> the folder of the pretrained entry a fine-tuned one derives from.
/// </summary>
public sealed record ManifestEntry(string Folder, string Directory, string Role, string Variant, string? From, string ModelType,
    string Architecture, int NLayers, int? ConvKernelSize, string TokenizerHash)
{
    /// <summary>Report name: role/variant, e.g. codessm/typeinf.</summary>
    public string Name => $"{Role}/{Variant}";

    /// <summary>Whether this is a fine-tuned variant.</summary>
    public bool IsFineTuned => Variant != "pretrained";
}

/// <summary>
/// A validated manifest. JSON: <c>{"models": [{"folder": "codessm", "role": "codessm", "variant": "pretrained"},
/// {"folder": "codessm-typeinf", "role": "codessm", "variant": "typeinf", "from": "codessm"}, …]}</c>.
/// Rules (each violation is one <see cref="InvalidDataException"/> naming what was expected and found): folders exist
/// and hold a config.json and a tokenizer; a (role, variant) appears once; a fine-tuned variant names in <c>from</c> the
/// pretrained entry of its role; the architecture fits the role (codessm: BiGS without conv_kernel_size, codessm-hf:
/// BiGS with it, rocoder: roformer, mamba: mamba); every model has the same tokenizer files (the probe pairs are shared).
/// </summary>
public sealed record StudyManifest(string Path, IReadOnlyList<ManifestEntry> Entries)
{
    /// <summary>Roles in report order.</summary>
    public static readonly IReadOnlyList<string> Roles = ["codessm", "rocoder", "codessm-hf", "mamba"];
    /// <summary>Variants in report order.</summary>
    public static readonly IReadOnlyList<string> Variants = ["pretrained", "typeinf", "search"];
    /// <summary>Tokenizer files compared across models (those present are hashed in this order).</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles = ["tokenizer.json", "tokenizer.model", "vocab.json", "merges.txt"];

    /// <summary>The entry of (role, variant), or null.</summary>
    public ManifestEntry? Find(string role, string variant) => Entries.FirstOrDefault(e => e.Role == role && e.Variant == variant);

    /// <summary>The pretrained entry a fine-tuned one derives from (itself for a pretrained one).</summary>
    public ManifestEntry PretrainedOf(ManifestEntry e) => e.IsFineTuned ? Entries.First(p => !p.IsFineTuned && p.Folder == e.From) : e;

    /// <summary>Reads and validates a manifest; nothing is loaded beyond config.json and the tokenizer files.</summary>
    public static StudyManifest Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"manifest not found: {path} (expected a JSON file with a \"models\" list)", path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: expected a JSON object with a \"models\" list, found invalid JSON ({e.Message})"); }
        if (root is not JsonObject o || o["models"] is not JsonArray models || models.Count == 0)
            throw new InvalidDataException($"{path}: expected a JSON object with a non-empty \"models\" list, found {Describe(root)}");
        var baseDir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var entries = new List<ManifestEntry>();
        for (int i = 0; i < models.Count; i++)
        {
            string where = $"{path}: models[{i}]";
            if (models[i] is not JsonObject m) throw new InvalidDataException($"{where}: expected an object {{folder, role, variant[, from]}}, found {Describe(models[i])}");
            string folder = Str(m, "folder", where), role = Str(m, "role", where), variant = Str(m, "variant", where);
            string? from = m["from"] is null ? null : Str(m, "from", where);
            if (!Roles.Contains(role)) throw new InvalidDataException($"{where}: expected role among {string.Join(", ", Roles)}, found '{role}'");
            if (!Variants.Contains(variant)) throw new InvalidDataException($"{where}: expected variant among {string.Join(", ", Variants)}, found '{variant}'");
            if (variant == "pretrained" && from is not null) throw new InvalidDataException($"{where}: a pretrained model derives from nothing, found \"from\": \"{from}\"");
            if (variant != "pretrained" && from is null)
                throw new InvalidDataException($"{where}: expected \"from\" naming the pretrained {role} folder that {variant} '{folder}' was fine-tuned from, found none");
            var dir = System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDir, folder));
            if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"{where}: model folder not found: {dir}");
            var config = System.IO.Path.Combine(dir, "config.json");
            if (!File.Exists(config)) throw new FileNotFoundException($"{where}: expected {config}, found no config.json", config);
            var (modelType, arch, layers, conv) = ReadConfig(config);
            CheckArchitecture(where, role, modelType, conv);
            entries.Add(new ManifestEntry(folder, dir, role, variant, from, modelType, arch, layers, conv, TokenizerHash(dir, where)));
        }
        foreach (var g in entries.GroupBy(e => e.Name).Where(g => g.Count() > 1))
            throw new InvalidDataException($"{path}: expected each role/variant once, found {g.Key} {g.Count()} times ({string.Join(", ", g.Select(e => e.Folder))})");
        foreach (var e in entries.Where(e => e.IsFineTuned))
        {
            var parent = entries.FirstOrDefault(p => p.Folder == e.From);
            if (parent is null || parent.IsFineTuned || parent.Role != e.Role)
                throw new InvalidDataException($"{path}: {e.Name} ('{e.Folder}') derives from '{e.From}', expected the pretrained {e.Role} entry of the manifest, found " +
                    (parent is null ? "no entry with that folder" : $"{parent.Name}"));
        }
        var hashes = entries.GroupBy(e => e.TokenizerHash).ToList();
        if (hashes.Count > 1)
            throw new InvalidDataException($"{path}: expected one tokenizer for every model (the probe pairs are shared), found {hashes.Count} different ones: " +
                string.Join("; ", hashes.Select(h => string.Join(", ", h.Select(e => e.Folder)))));
        return new StudyManifest(System.IO.Path.GetFullPath(path), entries.OrderBy(e => Roles.ToList().IndexOf(e.Role)).ThenBy(e => Variants.ToList().IndexOf(e.Variant)).ToList());
    }

    /// <summary>Throws unless the config.json at <paramref name="config"/> fits <paramref name="role"/> (the rule <see cref="Load"/> applies).</summary>
    public static void CheckRole(string where, string role, string config)
    {
        if (!Roles.Contains(role)) throw new ArgumentException($"{where}: expected role among {string.Join(", ", Roles)}, found '{role}'");
        var (modelType, _, _, conv) = ReadConfig(config);
        CheckArchitecture(where, role, modelType, conv);
    }

    static (string ModelType, string Architecture, int Layers, int? Conv) ReadConfig(string config)
    {
        JsonNode? c;
        try { c = JsonNode.Parse(File.ReadAllText(config)); }
        catch (JsonException e) { throw new InvalidDataException($"{config}: expected a JSON object, found invalid JSON ({e.Message})"); }
        if (c is not JsonObject o || o["model_type"] is not JsonValue mt || !mt.TryGetValue<string>(out var modelType))
            throw new InvalidDataException($"{config}: expected a string \"model_type\", found none");
        var arch = o["architectures"] is JsonArray a && a.Count > 0 && a[0] is JsonValue v && v.TryGetValue<string>(out var s) ? s : modelType;
        int layers = o["num_hidden_layers"] is JsonValue l && l.TryGetValue<int>(out var n) ? n : o["n_layer"] is JsonValue l2 && l2.TryGetValue<int>(out var n2) ? n2 : 0;
        int? conv = o["conv_kernel_size"] is JsonValue k && k.TryGetValue<int>(out var ks) && ks > 0 ? ks : null;
        return (modelType, arch, layers, conv);
    }

    static void CheckArchitecture(string where, string role, string modelType, int? conv)
    {
        var (expected, ok) = role switch
        {
            "codessm" => ("BiGS without conv_kernel_size", modelType == "BiGS" && conv is null),
            "codessm-hf" => ("BiGS with conv_kernel_size (the short-convolution path)", modelType == "BiGS" && conv is not null),
            "rocoder" => ("roformer", modelType == "roformer"),
            _ => ("mamba", modelType == "mamba"),
        };
        if (!ok) throw new InvalidDataException($"{where}: role {role} expects {expected}, found model_type {modelType}" + (conv is int c ? $" with conv_kernel_size {c}" : ""));
    }

    /// <summary>SHA-256 over the tokenizer files present (name and content), so two folders compare equal only with identical files.</summary>
    public static string TokenizerHash(string dir, string where)
    {
        using var sha = SHA256.Create();
        int found = 0;
        foreach (var name in TokenizerFiles)
        {
            var f = System.IO.Path.Combine(dir, name);
            if (!File.Exists(f)) continue;
            found++;
            var bytes = System.Text.Encoding.UTF8.GetBytes(name + "\n").Concat(File.ReadAllBytes(f)).ToArray();
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        if (found == 0) throw new FileNotFoundException($"{where}: expected a tokenizer in {dir} ({string.Join(", ", TokenizerFiles)}), found none");
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!)[..16].ToLowerInvariant();
    }

    static string Str(JsonObject o, string name, string where) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s
            : throw new InvalidDataException($"{where}: expected a non-empty string \"{name}\", found {Describe(o[name])}");

    static string Describe(JsonNode? n) => n switch
    {
        null => "nothing",
        JsonObject => "an object",
        JsonArray a => $"an array of {a.Count}",
        _ => n.ToJsonString(),
    };
}
