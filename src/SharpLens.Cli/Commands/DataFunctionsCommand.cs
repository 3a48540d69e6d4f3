// `sharplens data functions`: the SSM-Interpret functions corpus (train/valid/test JSONL split by file + manifest.json).
using System.CommandLine;
using System.Text.Json;
using SharpLens.Code.Datasets;
using SharpLens.Reports;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

internal static class DataFunctionsCommand
{
    public static Command Create()
    {
        var source = new Option<string[]>("--source") { Description = "Source folder DIR[:GLOB] (glob default *.py; repeatable)", Required = true };
        var outOpt = new Option<string>("--out") { Description = "Output folder: train.jsonl, valid.jsonl, test.jsonl, manifest.json", Required = true };
        var valid = new Option<double>("--valid") { Description = "Fraction of files (by content hash) in valid", DefaultValueFactory = _ => 0.05 };
        var test = new Option<double>("--test") { Description = "Fraction of files (by content hash) in test", DefaultValueFactory = _ => 0.1 };
        var cmd = new Command("functions", "CodeSearchNet-style function units (path, name, code, docstring, code without docstring), deduplicated, split by file.");
        foreach (var o in new Option[] { source, outOpt, valid, test }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var output = CliCommon.OutputFolder(parse.GetValue(outOpt)!, "--out");
            var sources = parse.GetValue(source)!.Select(s =>
            {
                var c = CorpusSource.Parse(s, "*.py");
                if (c.IsJsonl || c.Weight != 1) throw new UsageException($"--source expects DIR[:GLOB], found '{s}'");
                return c with { Root = Path.GetFullPath(c.Root) };
            }).ToList();
            var r = FunctionCorpus.Build(sources, parse.GetValue(valid), parse.GetValue(test));
            CliCommon.WriteFolder(output, dir =>
            {
                foreach (var (name, units) in new[] { ("train", r.Train), ("valid", r.Valid), ("test", r.Test) })
                    AtomicFile.Write(Path.Combine(dir, name + ".jsonl"), fs => Jsonl.Write(fs, units, FunctionUnit.WriteJson));
                AtomicFile.WriteText(Path.Combine(dir, "manifest.json"), JsonSerializer.Serialize(r.Manifest, SharpLens.Reports.ReportJson.Options) + "\n");
                return 0;
            });
            var m = r.Manifest;
            Console.Error.WriteLine($"{m.Files} files ({m.FilesNotUtf8} not UTF-8): {m.FunctionsFound} functions, {m.Duplicates} duplicates, " +
                                    $"{m.ExcludedTemplate} with the study template dropped");
            foreach (var (name, c) in m.Splits) Console.Error.WriteLine($"{name}: {c.Functions} functions ({c.WithDocstring} with a docstring) from {c.Files} files");
            return 0;
        });
        return cmd;
    }
}
