// Shared CLI plumbing: --dtype parsing, model loading, output paths checked up front and written atomically.
using System.CommandLine;
using SharpLens.Loading;
using Spectre.Console;
using static TorchSharp.torch;

namespace SharpLens.Cli.Commands;

internal static class CliCommon
{
    public static Option<string> DTypeOption() => new("--dtype")
    {
        Description = "parameter dtype: float32 (exact, default) or bfloat16 (half the memory)",
        DefaultValueFactory = _ => "float32",
    };

    public static ScalarType ParseDType(string s) => s.ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        _ => throw new UsageException($"--dtype must be float32 or bfloat16, found '{s}'"),
    };

    public static HookedModel LoadModel(string dir, string dtype) =>
        ModelLoader.Load(dir, new LoadOptions { DType = ParseDType(dtype) });

    /// <summary>Checks an output file path before any work: a folder there is refused (the file itself is written atomically).</summary>
    public static string OutputFile(string path, string option) =>
        Directory.Exists(path) ? throw new UsageException($"{option} expects a file path, found a folder: {path}") : path;

    /// <summary>Checks an output folder path before any work: a file there is refused.</summary>
    public static string OutputFolder(string path, string option) =>
        File.Exists(path) ? throw new UsageException($"{option} expects a folder, found a file: {path}") : path;

    /// <summary>
    /// Writes a report folder atomically: <paramref name="write"/> fills a temporary sibling folder, whose files are moved
    /// into <paramref name="output"/> only when it returns, so a failure leaves no partial report behind.
    /// </summary>
    public static T WriteFolder<T>(string output, Func<string, T> write)
    {
        output = Path.GetFullPath(OutputFolder(output, "--out"));
        var parent = Path.GetDirectoryName(output) ?? ".";
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, "." + Path.GetFileName(output) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var result = write(tmp);
            if (!Directory.Exists(output)) Directory.Move(tmp, output);
            else
                foreach (var f in Directory.EnumerateFiles(tmp, "*", SearchOption.AllDirectories))
                {
                    var dest = Path.Combine(output, Path.GetRelativePath(tmp, f));
                    Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                    File.Move(f, dest, overwrite: true);
                }
            return result;
        }
        finally { if (Directory.Exists(tmp)) Directory.Delete(tmp, true); }
    }

    /// <summary>Refuses an empty result unless the user allowed it, so a command never succeeds silently on nothing.</summary>
    public static void RequireRecords(int count, string what, bool allowEmpty)
    {
        if (count == 0 && !allowEmpty) throw new UsageException($"expected at least one {what}, found none (pass --allow-empty to write an empty output anyway)");
    }

    public static Option<bool> AllowEmptyOption() => new("--allow-empty") { Description = "Write the output even when no records were produced (default: that is an error)" };

    /// <summary>An integer option that must be at least <paramref name="min"/>.</summary>
    public static int AtLeast(int value, int min, string option) =>
        value >= min ? value : throw new UsageException($"{option} must be ≥ {min}, found {value}");

    /// <summary>An integer option bounded on both sides; the message states the limit.</summary>
    public static int InRange(int value, int min, int max, string option) =>
        value >= min && value <= max ? value : throw new UsageException($"{option} must be in [{min}, {max}], found {value}");

    public static string Escape(string s) => Markup.Escape(s);
}

/// <summary>A command-line mistake (bad option value or combination).</summary>
internal sealed class UsageException(string message) : Exception(message);
