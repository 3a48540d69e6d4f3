// Attention summaries: rows are the cached pattern's rows, each sums to one, and class sums add up.
using SharpLens.Analysis;
using SharpLens.Hooks;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using static TorchSharp.torch;

namespace SharpLens.Tests.Analysis;

public class AttentionSummaryTests
{
    [FixtureFact]
    public void Rows_are_the_pattern_rows_and_class_sums_add_to_one()
    {
        using var model = ModelLoader.Load(Fixtures.Model("gpt2"));
        using var scope = NewDisposeScope();
        var ids = LogitLensTests.Ids(model.Info.DVocab, 1, 5);
        using var cache = model.RunWithCache(ids, HookFilter.Site(Site.Pattern));
        var rows = AttentionSummary.Rows(cache, model.Info.NLayers, query: 3);
        Assert.Equal(model.Info.NLayers, rows.Length);
        for (int l = 0; l < rows.Length; l++)
            for (int h = 0; h < model.Info.NHeads; h++)
            {
                Assert.Equal(4, rows[l][h].Length);                                            // causal: keys 0..3
                for (int k = 0; k < 4; k++) Assert.Equal(cache[HookName.Pattern(l)][0, h, 3, k].item<float>(), rows[l][h][k]);
                Assert.Equal(1.0, rows[l][h].Sum(), 5);
                var byClass = AttentionSummary.ByClass(rows[l][h], [0, 1, 0, 1], 2);
                Assert.Equal(rows[l][h][0] + rows[l][h][2], byClass[0], 6);
                Assert.Equal(1.0, byClass.Sum(), 5);
            }
        var strongest = AttentionSummary.Strongest(rows);
        Assert.Equal(rows[0][0].Max(), strongest[0][0].Weight);
    }
}
