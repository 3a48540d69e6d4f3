// `sharplens lens`: the logit lens of one prompt over resid_pre/mid/post of every layer → lens.html + lens.json.
using System.CommandLine;
using System.Globalization;
using SharpLens.Analysis;
using SharpLens.Hooks;
using SharpLens.Reports;
using Spectre.Console;
using static TorchSharp.torch;

namespace SharpLens.Cli.Commands;

internal static class LensCommand
{
    public static Command Create()
    {
        var o = new AnalysisOptions();
        var positions = new Option<string>("--positions") { Description = "'all' or positions such as 0,3,-1 (negative counts from the end)", DefaultValueFactory = _ => "all" };
        var sites = new Option<string>("--sites") { Description = "residual sites: any of resid_pre, resid_mid, resid_post", DefaultValueFactory = _ => "resid_pre,resid_mid,resid_post" };
        var topK = new Option<int>("--top-k") { Description = "top tokens kept per cell", DefaultValueFactory = _ => 5 };
        var cmd = new Command("lens", "Logit lens: every layer's residual stream through the model's own final norm and unembedding → lens.html + lens.json.");
        foreach (var opt in o.All) cmd.Options.Add(opt);
        cmd.Options.Add(positions); cmd.Options.Add(sites); cmd.Options.Add(topK);
        cmd.SetAction(r =>
        {
            int k = r.GetValue(topK);
            if (k < 1) throw new UsageException($"--top-k must be ≥ 1, found {k}");
            var siteList = ParseSites(r.GetValue(sites)!);
            using var s = AnalysisSession.Open(r, o);
            var af = s.AnswerAndFoil(r, o, required: false);
            int? ans = af?.Answer, f = af?.Foil;
            var posText = r.GetValue(positions)!;
            var pos = posText == "all" ? Enumerable.Range(0, s.Ids.Length).ToList() : AnalysisSession.ParseInts(posText, "--positions");
            var readout = LogitLens.Require(s.Model);
            var hooks = LogitLens.Hooks(s.Model, siteList);
            if (hooks.Count == 0) throw new UsageException($"{s.Model.Info.Architecture} fires none of --sites {r.GetValue(sites)}");
            using var scope = NewDisposeScope();
            using var cache = s.Model.RunWithCache(tensor(s.Ids).unsqueeze(0), HookFilter.Names(hooks.ToArray()));
            var readings = LogitLens.Run(cache, readout, hooks, pos, ans, f, k);
            var names = readings.SelectMany(x => x.TopIds).Concat(ans is int ai ? [ai] : []).Distinct()
                .ToDictionary(id => id.ToString(CultureInfo.InvariantCulture), s.Text);
            var written = AnalysisReports.Write(new LensReport(s.Input, readings, names), r.GetValue(o.Out)!);
            var last = readings.Where(x => x.Position == readings.Max(y => y.Position)).ToList();
            var table = new Table().Title($"logit lens at position {last[0].Position}").AddColumns("hook", "top token", "p", ans is null ? "" : "p(answer)", ans is null ? "" : "rank");
            foreach (var x in last)
                table.AddRow(x.Hook, CliCommon.Escape(names[x.TopIds[0].ToString(CultureInfo.InvariantCulture)]), x.TopProbs[0].ToString("0.###", CultureInfo.InvariantCulture),
                    ans is null ? "" : x.AnswerProb.ToString("0.####", CultureInfo.InvariantCulture), ans is null ? "" : $"{x.AnswerRank}");
            AnsiConsole.Write(table);
            Console.WriteLine("wrote " + string.Join(", ", written));
            return 0;
        });
        return cmd;
    }

    static IReadOnlyList<HookSite> ParseSites(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t =>
            LogitLens.ResidualSites.FirstOrDefault(s => s.Path == "hook_" + t || s.Path == t) is { Path: not null } site ? site
                : throw new UsageException($"--sites: expected resid_pre, resid_mid or resid_post, found '{t}'")).ToList();
}
