// `sharplens inspect <model-dir> [--json]`: architecture, parameters, dtype, memory, dimensions, hook catalogue.
using System.CommandLine;
using System.Text.Json;
using SharpLens.Reports;
using Spectre.Console;

namespace SharpLens.Cli.Commands;

internal static class InspectCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("model-dir") { Description = "Hugging Face checkpoint folder (config.json + weights)" };
        var json = new Option<bool>("--json") { Description = "print JSON instead of tables" };
        var dtype = CliCommon.DTypeOption();
        var cmd = new Command("inspect", "Show a model's architecture, size, dtype, memory and hook catalogue.") { dir, json, dtype };
        cmd.SetAction(r =>
        {
            using var model = CliCommon.LoadModel(r.GetValue(dir)!, r.GetValue(dtype)!);
            var summary = ModelSummary.Of(model);
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(summary, ReportJson.Options));
                return 0;
            }
            var t = new Table().AddColumn("property").AddColumn("value");
            t.AddRow("architecture", summary.Architecture);
            t.AddRow("parameters", $"{summary.Parameters:N0}");
            t.AddRow("dtype", summary.DType);
            t.AddRow("memory", $"{summary.ParameterBytes / 1048576.0:F1} MiB");
            foreach (var (k, v) in summary.Dimensions) t.AddRow(k, CliCommon.Escape(v.ToString() ?? ""));
            t.AddRow("load", CliCommon.Escape(summary.Load ?? "(built in memory)"));
            AnsiConsole.Write(t);
            var h = new Table().AddColumn("hook").AddColumn("shape");
            foreach (var hook in summary.Hooks) h.AddRow(CliCommon.Escape(hook.Name), CliCommon.Escape(hook.Shape));
            AnsiConsole.Write(h);
            return 0;
        });
        return cmd;
    }
}
