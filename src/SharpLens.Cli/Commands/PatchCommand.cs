// `sharplens patch`: activation patching between a clean and a corrupted prompt per layer × position and per head → patch.html + patch.json.
using System.CommandLine;
using System.Globalization;
using SharpLens.Analysis;
using SharpLens.Hooks;
using SharpLens.Reports;
using Spectre.Console;
using static TorchSharp.torch;

namespace SharpLens.Cli.Commands;

internal static class PatchCommand
{
    public static Command Create()
    {
        var o = new AnalysisOptions();
        var corrupted = new Option<string>("--corrupted") { Description = "corrupted prompt (same number of tokens as --prompt)", Required = true };
        var sites = new Option<string>("--sites") { Description = "resid_pre, resid_mid, resid_post, attn_out, mlp_out (per position); z, result, q, k, v (per head)", DefaultValueFactory = _ => "resid_pre,attn_out,mlp_out,z" };
        var mode = new Option<string>("--mode") { Description = "denoising (clean into corrupted) or noising (corrupted into clean)", DefaultValueFactory = _ => "denoising" };
        var receivers = new Option<string[]>("--receiver") { Description = "path patching into a head's input, LAYER.HEAD.q|k|v such as 3.0.q (repeatable)", AllowMultipleArgumentsPerToken = true };
        var cmd = new Command("patch", "Activation patching of a clean/corrupted prompt pair with a logit-difference metric → patch.html + patch.json.");
        foreach (var opt in o.All) cmd.Options.Add(opt);
        cmd.Options.Add(corrupted); cmd.Options.Add(receivers); cmd.Options.Add(sites); cmd.Options.Add(mode);
        cmd.SetAction(r =>
        {
            var m = r.GetValue(mode)!.ToLowerInvariant() switch
            {
                "denoising" => PatchMode.Denoising, "noising" => PatchMode.Noising,
                var x => throw new UsageException($"--mode must be denoising or noising, found '{x}'"),
            };
            var siteList = r.GetValue(sites)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(ParseSite).ToList();
            var receiverList = (r.GetValue(receivers) ?? []).Select(ParseReceiver).ToList();
            using var s = AnalysisSession.Open(r, o);
            var (a, f) = s.AnswerAndFoil(r, o, required: true)!.Value;
            var corruptText = r.GetValue(corrupted)!;
            var (cids, ctexts) = AnalysisSession.Encode(s.Tokenizer, corruptText);
            if (cids.Length != s.Ids.Length)
                throw new UsageException($"--prompt and --corrupted must have the same number of tokens (positions are patched one for one), found {s.Ids.Length} and {cids.Length}");
            using var scope = NewDisposeScope();
            var clean = tensor(s.Ids).unsqueeze(0);
            var corrupt = tensor(cids).unsqueeze(0);
            var metric = Patching.LogitDiff(a, f);
            var results = siteList.Select(site => Patching.Run(s.Model, clean, corrupt, site, metric, m)).ToList();
            var paths = receiverList.Select(x => PathPatching.Run(s.Model, clean, corrupt, x.Layer, x.Head, x.Input, metric, m)).ToList();
            var written = AnalysisReports.Write(new PatchReport(s.Input, corruptText, ctexts, results) { Paths = paths }, r.GetValue(o.Out)!);
            string N(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
            var table = new Table().Title($"patching ({r.GetValue(mode)}): metric clean {N(results[0].Clean)}, corrupted {N(results[0].Corrupted)}")
                .AddColumns("site", "strongest component", "normalized");
            foreach (var p in results)
            {
                var n = p.Normalized;
                var (l, c) = Enumerable.Range(0, n.Length).SelectMany(i => Enumerable.Range(0, n[i].Length).Select(j => (i, j)))
                    .MaxBy(t => double.IsNaN(n[t.i][t.j]) ? double.MinValue : Math.Abs(n[t.i][t.j]));
                table.AddRow(p.Site, p.Columns == "head" ? $"L{l}H{c}" : $"L{l} position {c} {CliCommon.Escape(s.Input.Tokens[c])}", N(n[l][c]));
            }
            foreach (var p in paths)
            {
                var (l, h) = Enumerable.Range(0, p.ReceiverLayer).SelectMany(i => Enumerable.Range(0, p.Values[i].Length).Select(j => (i, j)))
                    .MaxBy(t => Math.Abs(p.Values[t.i][t.j] - (m == PatchMode.Noising ? p.Clean : p.Corrupted)));
                table.AddRow($"paths → L{p.ReceiverLayer}H{p.ReceiverHead} {p.ReceiverInput}", $"sender L{l}H{h}", N(p.Values[l][h]) + " (raw)");
            }
            AnsiConsole.Write(table);
            Console.WriteLine("wrote " + string.Join(", ", written));
            return 0;
        });
        return cmd;
    }

    static HookSite ParseSite(string t) =>
        Patching.PositionSites.Concat(Patching.HeadSites).FirstOrDefault(s => s.Path == t || s.Path == "hook_" + t || s.Path == "attn.hook_" + t) is { Path: not null } site ? site
            : throw new UsageException($"--sites: expected resid_pre, resid_mid, resid_post, attn_out, mlp_out, z, result, q, k or v, found '{t}'");

    static (int Layer, int Head, HookSite Input) ParseReceiver(string t)
    {
        var parts = t.Split('.');
        if (parts.Length == 3 && int.TryParse(parts[0], out int l) && int.TryParse(parts[1], out int h) && l >= 0 && h >= 0
            && parts[2] is "q" or "k" or "v")
            return (l, h, parts[2] switch { "q" => Site.Q, "k" => Site.K, _ => Site.V });
        throw new UsageException($"--receiver: expected LAYER.HEAD.q|k|v such as 3.0.q, found '{t}'");
    }
}
