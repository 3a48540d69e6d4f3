// `sharplens ssm-sizes`: the widths that give CodeSSM, RoCoder and CodeSSM-HF parameter counts within 5 % (StudySizing).
using System.CommandLine;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

internal static class SsmSizesCommand
{
    public static Command Create()
    {
        var cmd = new Command("ssm-sizes", "MLP widths of CodeSSM (bigs), RoCoder (roberta-rope) and CodeSSM-HF (bigs --conv-kernel) with parameter counts within 5 %.");
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer folder (its vocabulary size enters the counts)", Required = true };
        var layers = new Option<int>("--layers") { Description = "Layers", DefaultValueFactory = _ => 12 };
        var dModel = new Option<int>("--d-model") { Description = "Residual width", DefaultValueFactory = _ => 256 };
        var heads = new Option<int>("--heads") { Description = "RoCoder attention heads", DefaultValueFactory = _ => 4 };
        var dState = new Option<int>("--d-state") { Description = "S4D modes (bigs)", DefaultValueFactory = _ => 64 };
        var seqLen = new Option<int>("--seq-len") { Description = "Sequence length", DefaultValueFactory = _ => 256 };
        var convKernel = new Option<int>("--conv-kernel") { Description = "CodeSSM-HF short-convolution size", DefaultValueFactory = _ => 4 };
        var convMerge = new Option<string>("--conv-merge") { Description = "sum | gate", DefaultValueFactory = _ => "sum" };
        var format = new Option<string>("--format") { Description = "table | sh (NAME=VALUE lines for a shell script)", DefaultValueFactory = _ => "table" };
        foreach (var o in new Option[] { tokenizer, layers, dModel, heads, dState, seqLen, convKernel, convMerge, format }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var fmt = parse.GetValue(format) is "table" or "sh" ? parse.GetValue(format)! : throw new UsageException($"--format must be table or sh, found '{parse.GetValue(format)}'");
            var common = new TrainOptions
            {
                Arch = "bigs", Objective = Objective.Mlm, Layers = parse.GetValue(layers), DModel = parse.GetValue(dModel), Heads = parse.GetValue(heads),
                DState = parse.GetValue(dState), SeqLen = parse.GetValue(seqLen), Steps = 1, ConvMerge = parse.GetValue(convMerge)!,
            };
            common.Validate();
            var vocab = TrainTokenizers.Load(parse.GetValue(tokenizer)!).VocabSize;
            var sizes = StudySizing.Sizes(common, vocab, parse.GetValue(convKernel), parse.GetValue(convMerge)!);
            foreach (var s in sizes)
            {
                var key = s.Role.Replace('-', '_').ToUpperInvariant();
                Console.WriteLine(fmt == "sh" ? $"{key}_D_MLP={s.Options.DMlp}\n{key}_PARAMS={s.Parameters}"
                    : $"{s.Role,-11} --arch {s.Options.Arch,-12} --d-mlp {s.Options.DMlp,-5}{(s.Options.ConvKernel is int k ? $" --conv-kernel {k}" : ""),-16} {s.Parameters,12:N0} parameters");
            }
            return 0;
        });
        return cmd;
    }
}
