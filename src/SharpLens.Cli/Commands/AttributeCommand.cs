// `sharplens attribute`: direct logit attribution of answer − foil at one position → attribution.html + attribution.json.
using System.CommandLine;
using System.Globalization;
using SharpLens.Analysis;
using SharpLens.Hooks;
using SharpLens.Reports;
using Spectre.Console;
using static TorchSharp.torch;

namespace SharpLens.Cli.Commands;

internal static class AttributeCommand
{
    public static Command Create()
    {
        var o = new AnalysisOptions();
        var position = new Option<int>("--position") { Description = "position whose prediction is attributed (negative counts from the end)", DefaultValueFactory = _ => -1 };
        var cmd = new Command("attribute", "Direct logit attribution of answer (− foil) into embeddings, heads, MLPs and biases, with the exact-sum check → attribution.html + .json.");
        foreach (var opt in o.All) cmd.Options.Add(opt);
        cmd.Options.Add(position);
        cmd.SetAction(r =>
        {
            using var s = AnalysisSession.Open(r, o);
            var (a, f) = s.AnswerAndFoil(r, o, required: true)!.Value;
            int pos = r.GetValue(position), len = s.Ids.Length;
            if (pos < -len || pos >= len) throw new UsageException($"--position must lie in [−{len}, {len}) for this {len}-token prompt, found {pos}");
            var hooks = LogitAttribution.Hooks(s.Model);
            using var scope = NewDisposeScope();
            using var cache = s.Model.RunWithCache(tensor(s.Ids).unsqueeze(0), HookFilter.Names(hooks.ToArray()));
            var d = LogitAttribution.Run(cache, s.Model.Readout!, s.Model.Info.NLayers, pos, [a], f is int ff ? [(long)ff] : null)[0];
            int p = pos < 0 ? len + pos : pos;
            var written = AnalysisReports.Write(new AttributionReport(s.Input, p, d), r.GetValue(o.Out)!);
            string N(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
            var table = new Table().Title($"direct logit attribution at position {p}").AddColumns("layer", "attention", "top head", "MLP");
            for (int l = 0; l < d.Attn.Length; l++)
            {
                int h = Enumerable.Range(0, d.Heads[l].Length).MaxBy(i => Math.Abs(d.Heads[l][i]));
                table.AddRow($"{l}", N(d.Attn[l]), $"H{h} {N(d.Heads[l][h])}", N(d.Mlp[l]));
            }
            AnsiConsole.Write(table);
            Console.WriteLine($"embed {N(d.Embed)}, final-norm bias {N(d.NormBias)}, unembedding bias {N(d.UnembedBias)}; Σ {N(d.Sum)} vs model {N(d.Actual)} (|error| {d.Error:0.###e+0})");
            Console.WriteLine("wrote " + string.Join(", ", written));
            return 0;
        });
        return cmd;
    }
}
