// Shared CLI plumbing: --dtype parsing, model loading, and turning expected failures into one clear line + exit code 2.
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

    /// <summary>Runs a command body; expected failures print one line to stderr and return 2, never a stack trace.</summary>
    public static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (IsExpected(e))
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 2;
        }
    }

    public static bool IsExpected(Exception e) => e is UsageException or IOException or InvalidDataException or NotSupportedException
        or CheckpointFormatException or CheckpointLoadException or ArgumentException or KeyNotFoundException
        or UnauthorizedAccessException or FormatException or System.Text.Json.JsonException or InvalidOperationException;

    public static string Escape(string s) => Markup.Escape(s);
}

/// <summary>A command-line mistake (bad option value or combination).</summary>
internal sealed class UsageException(string message) : Exception(message);
