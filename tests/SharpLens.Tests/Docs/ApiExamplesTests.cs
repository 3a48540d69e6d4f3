// docs/api.md's examples, compiled and run: every C# block there must appear verbatim below, every CLI line must run.
using System.Text.RegularExpressions;
using SharpLens.Analysis;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Tests.Support;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Tests.Docs;

public class ApiExamplesTests
{
    static readonly string Doc = Path.Combine(Fixtures.RepoRoot, "docs", "api.md");
    static string Squash(string s) => Regex.Replace(s, @"\s+", " ").Trim();
    static IEnumerable<string> Blocks(string lang) =>
        Regex.Matches(File.ReadAllText(Doc), "```" + lang + @"\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value);

    [Fact]
    public void Every_csharp_block_of_the_doc_is_in_this_test()
    {
        var source = Squash(File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "tests", "SharpLens.Tests", "Docs", "ApiExamplesTests.cs")));
        var blocks = Blocks("csharp").ToList();
        Assert.True(blocks.Count >= 9, $"expected ≥ 9 C# examples in docs/api.md, found {blocks.Count}");
        foreach (var b in blocks) Assert.True(source.Contains(Squash(b)), "docs/api.md block not compiled by this test:\n" + b);
    }

    [Fact]
    public void Every_cli_line_of_the_doc_runs()
    {
        var lines = Blocks("sh").SelectMany(b => b.Split('\n')).Where(l => l.StartsWith("sharplens ")).ToList();
        Assert.Equal(3, lines.Count);
        foreach (var line in lines)
        {
            using var tmp = new TempDir();
            var args = Regex.Matches(line["sharplens ".Length..], @"'([^']*)'|(\S+)").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();
            int model = args.IndexOf("--model") + 1, output = args.IndexOf("--out") + 1;
            args[model] = Path.Combine(Fixtures.RepoRoot, args[model]);
            args[output] = tmp.File("out");
            var (code, err) = Support.Cli.Run([.. args]);
            Assert.True(code == 0, $"{line}: exit {code}: {err}");
            Assert.Equal(2, Directory.GetFiles(tmp.File("out")).Length);
        }
    }

    [Fact]
    public void The_library_examples_run()
    {
        string dir = Path.Combine(Fixtures.RepoRoot, "models", "sharplens-py-small");
        using var scope = NewDisposeScope();
        using var model = ModelLoader.Load(dir);
        var tok = Tokenizer.Load(dir);
        var ids = tensor(tok.Encode("print(len(str(x").Ids.Select(i => (long)i).ToArray()).unsqueeze(0);   // [batch=1, pos]
        int answer = tok.TokenToId(")))")!.Value, foil = tok.TokenToId("))")!.Value;

        var hooks = LogitLens.Hooks(model);                                            // resid_pre/mid/post of every layer
        using var lensCache = model.RunWithCache(ids, HookFilter.Names(hooks.ToArray()));
        var lens = LogitLens.Run(lensCache, model.Readout!, hooks, positions: [-1], answer, foil);
        var last = lens[^1];                                  // the last block's hook_resid_post: TopIds, AnswerProb, AnswerRank, LogitDiff
        Assert.Equal($"blocks.{model.Info.NLayers - 1}.hook_resid_post", last.Hook);
        Assert.Equal(3 * model.Info.NLayers, lens.Count);

        using var dlaCache = model.RunWithCache(ids, HookFilter.Names(LogitAttribution.Hooks(model).ToArray()));
        var dla = LogitAttribution.Run(dlaCache, model.Readout!, model.Info.NLayers, position: -1, [answer], [foil])[0];
        Console.WriteLine($"L3H0 {dla.Heads[3][0]:F3}, MLP 3 {dla.Mlp[3]:F3}; Σ {dla.Sum:F4} vs {dla.Actual:F4} (error {dla.Error:g2})");
        Assert.True(dla.Error < 1e-4);
        Assert.True(Math.Abs(dla.Actual - last.LogitDiff) < 1e-4);                            // lens at the end = the model

        var corrupted = tensor(tok.Encode("print(len(x(x").Ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        var grid = Patching.Run(model, ids, corrupted, Site.ResidPre, Patching.LogitDiff(answer, foil));
        double restored = grid.Normalized[2][4];             // layer 2, position 4: 1 = clean value restored, 0 = still corrupted
        var heads = Patching.Run(model, ids, corrupted, Site.Z, Patching.LogitDiff(answer, foil), PatchMode.Noising);
        Assert.True(double.IsFinite(restored));
        Assert.Equal(model.Info.NHeads, heads.Values[0].Length);

        var paths = PathPatching.Run(model, ids, corrupted, receiverLayer: 3, receiverHead: 0, Site.Q, Patching.LogitDiff(answer, foil));
        double viaQuery = paths.Values[1][2];                 // sender L1H2 → L3H0's query; NaN for senders at layer ≥ 3
        Assert.True(double.IsFinite(viaQuery) && double.IsNaN(paths.Values[3][0]));

        var head = new Component(HookName.Z(1), Head: 2);
        using var zeroed = model.RunWithHooks(ids, [Ablations.Zero(head)]);
        using var reference = model.RunWithCache(corrupted, HookFilter.Names(head.Hook));
        using var meaned = model.RunWithHooks(ids, [Ablations.Mean(head, Ablations.MeanOf(reference, head))]);
        using var resampled = model.RunWithHooks(ids, [Ablations.Resample(head, reference[head.Hook])]);
        TensorAssert.Close(meaned, resampled, 1e-5, "one reference prompt: its mean is itself");

        using var patterns = model.RunWithCache(ids, HookFilter.Site(Site.Pattern));
        var rows = AttentionSummary.Rows(patterns, model.Info.NLayers, query: -1);                  // [layer][head][key]
        var classes = tok.Encode("print(len(str(x").Tokens.Select(t => t == "(" ? 1 : 0).ToList();
        float toOpenParens = AttentionSummary.ByClass(rows[0][0], classes, 2)[1];
        Assert.InRange(toOpenParens, 0f, 1.0001f);
        Assert.Equal(3, classes.Sum());

        using var upTo2 = model.RunWithCache(ids, HookFilter.Site(Site.ResidPost), stopAt: HookName.ResidPost(2));   // blocks 3.. never run
        var resid2 = model.RunTo(HookName.ResidPost(2), ids);                                  // the activation alone: [batch, pos, d_model]
        TensorAssert.Close(lensCache[HookName.ResidPost(2)], resid2, 0, "stopped at resid_post 2");
        Assert.Null(upTo2.Logits);
        Assert.Equal(3, upTo2.Count);                                                          // resid_post 0, 1, 2 only

        using var kept = new ActivationCache();
        using (model.Hooks.Add(HookName.Pattern(0), (act, name) => { kept.Add(name, act); return null; }))   // act lives only during the call
            model.Run(ids).Dispose();
        var pattern0 = kept[HookName.Pattern(0)];                                              // still readable: the cache holds its own handle
        TensorAssert.Close(patterns[HookName.Pattern(0)], pattern0, 0, "pattern kept by a hook");

        using var tmp = new TempDir();
        var folder = tmp.File("acts");
        var plan = new CachePlan { Hooks = HookFilter.Site(Site.ResidPost), Positions = CachePositions.Last, DType = ScalarType.BFloat16 };
        using var lastRows = plan.Run(model, ids);                              // [batch, d_model] per layer, bfloat16
        var lastResid = lastRows.Cache[HookName.ResidPost(2)];                  // layer 2 at each prompt's last token
        using (var writer = new ActivationDatasetWriter(folder, plan with { Positions = CachePositions.All }))
        {
            writer.Add(model, ids);                                             // once per batch (ids, mask); chunks fill and are written
            Console.WriteLine($"{writer.Complete().Rows} rows");               // writes dataset.json: hooks, dtype, prompts, rows, chunks
        }
        var everyToken = ActivationDataset.Load(folder, HookName.ResidPost(2).ToString());   // [tokens, d_model]
        Assert.Equal(ids.shape[1], ActivationDataset.Read(folder).Rows);
        Assert.Equal(new long[] { 1, model.Info.DModel }, lastResid.shape);
        TensorAssert.Equal(everyToken[-1].unsqueeze(0), lastResid, "the last token's row of both");
    }
}
