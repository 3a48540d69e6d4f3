// `sharplens verify <model-dir> <reference.safetensors> [--atol 1e-4]`: compare every stored hook/logits tensor; exit 0 only if all match.
using System.CommandLine;
using SharpLens.Analysis;
using Spectre.Console;

namespace SharpLens.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("model-dir") { Description = "Hugging Face checkpoint folder" };
        var reference = new Argument<string>("reference") { Description = "safetensors file with input_ids and reference activations named by hook (and logits)" };
        var atol = new Option<double>("--atol") { Description = "max |Δ| allowed per element", DefaultValueFactory = _ => 1e-4 };
        var dtype = CliCommon.DTypeOption();
        var cmd = new Command("verify", "Check a model's activations against tensors saved from another implementation.") { dir, reference, atol, dtype };
        cmd.SetAction(r =>
        {
            using var model = CliCommon.LoadModel(r.GetValue(dir)!, r.GetValue(dtype)!);
            var result = ReferenceCheck.Run(model, r.GetValue(reference)!, r.GetValue(atol));
            var table = new Table().AddColumn("tensor").AddColumn("shape").AddColumn(new TableColumn("max |Δ|").RightAligned()).AddColumn("ok");
            foreach (var t in result.Tensors)
                table.AddRow(CliCommon.Escape(t.Name), CliCommon.Escape("[" + string.Join(",", t.Shape) + "]"),
                    double.IsNaN(t.MaxAbsDiff) ? "-" : t.MaxAbsDiff.ToString("0.00e+00"),
                    t.Ok ? "[green]ok[/]" : "[red]FAIL[/]" + (t.Problem is null ? "" : " " + CliCommon.Escape(t.Problem)));
            AnsiConsole.Write(table);
            int bad = result.Tensors.Count(t => !t.Ok);
            Console.WriteLine(result.Ok
                ? $"verify: all {result.Tensors.Count} tensors within atol {r.GetValue(atol):g}"
                : result.Tensors.Count == 0 ? "verify: the reference holds no comparable tensor" : $"verify: {bad} of {result.Tensors.Count} tensors FAIL (atol {r.GetValue(atol):g})");
            return result.Ok ? 0 : 1;
        });
        return cmd;
    }
}
