// Claims-table verdicts on synthetic numbers: each rule's agrees / partly / differs / not measurable boundary.
using SharpLens.Analysis.Parens;
using SharpLens.Analysis.Probes;
using SharpLens.Analysis.SsmInterpret;

namespace SharpLens.Tests.SsmInterpret;

public class SsmClaimsTests
{
    static readonly string[] Names = ["codessm/pretrained", "codessm/typeinf", "codessm/search", "rocoder/pretrained", "rocoder/typeinf", "codessm-hf/search"];

    /// <summary>A 12-layer study whose probe accuracies are constant per (model, task) unless given per layer.</summary>
    sealed class Synthetic
    {
        public readonly Dictionary<(string Model, string Task), double[]> Acc = new();
        public readonly List<ShiftRow> Shifts = new();
        public readonly List<RetentionRow> Retention = new();
        public readonly List<ScoreRow> Scores = new();
        public IReadOnlyList<string> Models = Names;

        public void Set(string model, string task, params double[] perLayer) => Acc[(model, task)] = perLayer.Length == 1 ? Enumerable.Repeat(perLayer[0], 6).ToArray() : perLayer;

        public void Shift(int layer, string before, string after, double c0, double c1, double r0, double r1) =>
            Shifts.Add(new ShiftRow("codessm", "typeinf", layer, "fwd", before, after, c0, c1, c1 - c0, r0, r1, r1 - r0, 0, 0));

        public void Keep(string role, string task, double before, double after) =>
            Retention.Add(new RetentionRow(role, "typeinf", task, "directprobe", before, after, after - before, 6));

        public IReadOnlyList<ClaimRow> Claims()
        {
            var map = Models.SelectMany(m => SsmStudy.MapLayers(m, 12)).ToList();
            var probes = Acc.SelectMany(kv => map.Where(x => x.Model == kv.Key.Model).Select((x, i) => new ProbeRow(kv.Key.Model, kv.Key.Task, x.Layer, "directprobe",
                null, kv.Value[i], 0, 2, 2, 10, 10, null, null, null, null, null, 0))).ToList();
            var models = Models.Select(n => new StudyModel(n, n, n.Split('/')[0], n.Split('/')[1], null, "x", 12, 8, 0, null)).ToList();
            var r = new SsmStudyResult("m.json", models, ProbePairsTasks(), map, [], probes, [], Shifts, Scores, Retention, [], [], new Dictionary<string, double>(), new { });
            return SsmClaims.Compare(r);
        }

        static IReadOnlyList<TaskRow> ProbePairsTasks() =>
            new[] { "ast-distance", "sibling", "dataflow" }.Select(t => new TaskRow(t, "f", 20, 10, 10, 0, 0, 2)).ToList();
    }

    static string Verdict(IReadOnlyList<ClaimRow> claims, string topicStart) => claims.Single(c => c.Topic.StartsWith(topicStart)).Verdict;

    [Theory]
    [InlineData(0.85, 0.75, "agrees")]        // +10 points at every layer
    [InlineData(0.95, 0.75, "partly")]        // +20: higher, but more than 14 points
    [InlineData(0.70, 0.75, "differs")]
    public void Sibling_gap_rule(double codessm, double rocoder, string verdict)
    {
        var s = new Synthetic();
        s.Set("codessm/pretrained", "sibling", codessm);
        s.Set("rocoder/pretrained", "sibling", rocoder);
        Assert.StartsWith(verdict, Verdict(s.Claims(), "sibling probes"));
    }

    [Fact]
    public void Distance_and_data_flow_rules_compare_layer_by_layer()
    {
        var s = new Synthetic();
        s.Set("codessm/pretrained", "ast-distance", 0.60, 0.60, 0.62, 0.58, 0.61, 0.60);
        s.Set("rocoder/pretrained", "ast-distance", 0.55, 0.55, 0.55, 0.60, 0.55, 0.55);   // one layer below: mean still ≥
        s.Set("codessm/pretrained", "dataflow", 0.80);
        s.Set("rocoder/pretrained", "dataflow", 0.79);
        var claims = s.Claims();
        Assert.StartsWith("partly", Verdict(claims, "AST-distance"));
        Assert.StartsWith("agrees", Verdict(claims, "data-flow"));
        s.Set("rocoder/pretrained", "dataflow", 0.70);
        Assert.StartsWith("differs", Verdict(s.Claims(), "data-flow"));
    }

    [Theory]
    [InlineData(0.80, 0.72, 0.70, 0.69, "agrees")]     // CodeSSM −8, RoCoder −1
    [InlineData(0.80, 0.72, 0.70, 0.64, "partly")]     // CodeSSM −8, RoCoder −6
    [InlineData(0.80, 0.60, 0.70, 0.70, "partly")]     // CodeSSM −20 (outside 5.5–10.5), RoCoder keeps
    [InlineData(0.80, 0.80, 0.70, 0.70, "differs")]    // nobody loses
    public void Type_inference_rule(double cBefore, double cAfter, double rBefore, double rAfter, string verdict)
    {
        var s = new Synthetic();
        s.Keep("codessm", "sibling", cBefore, cAfter);
        s.Keep("rocoder", "sibling", rBefore, rAfter);
        s.Set("codessm/pretrained", "sibling", 0.8);                                        // a directprobe row, so the claims read directprobe
        Assert.StartsWith(verdict, Verdict(s.Claims(), "type-inference"));
    }

    [Fact]
    public void Spectral_rules_read_layer_1_and_4_and_the_last_third()
    {
        var s = new Synthetic();
        s.Shift(1, "band-pass", "high-pass", 0.190, 0.223, 0.39, -0.31);
        s.Shift(4, "low-pass", "unlabelled", 0.10, 0.12, 1.88, 0.90);                      // ratio falls, class not band-pass
        foreach (var l in new[] { 8, 9, 10, 11 }) s.Shift(l, "low-pass", "low-pass", 0.05, 0.05, 3, 3);
        var claims = s.Claims();
        Assert.StartsWith("agrees", Verdict(claims, "layer-1"));
        Assert.StartsWith("partly", Verdict(claims, "layer-4"));
        Assert.StartsWith("agrees", Verdict(claims, "deep forward"));
        Assert.StartsWith("partly", Verdict(claims, "short-range fine-tuning shifts"));      // 2 of 6 kernels move toward high f
        Assert.Contains("layer 1 of 12 (paper 1 of 12) fwd: band-pass → high-pass, centroid 0.190 → 0.223", claims.Single(c => c.Topic.StartsWith("layer-1")).ThisModel);
    }

    [Theory]
    [InlineData(0.40, 0.45, "agrees")]
    [InlineData(0.40, 0.402, "partly")]
    [InlineData(0.45, 0.40, "differs")]
    public void Fix_rule_uses_the_recorded_mrr(double codessm, double hf, string verdict)
    {
        var s = new Synthetic();
        s.Scores.Add(new ScoreRow("codessm/search", "codessm", "search", null, null, codessm, "x"));
        s.Scores.Add(new ScoreRow("codessm-hf/search", "codessm-hf", "search", null, null, hf, "x"));
        Assert.StartsWith(verdict, Verdict(s.Claims(), "the short-convolution fix"));
    }

    [Fact]
    public void Missing_models_make_claims_not_measurable_and_say_what_is_missing()
    {
        var s = new Synthetic { Models = ["codessm/pretrained"] };
        s.Set("codessm/pretrained", "sibling", 0.8);
        var claims = s.Claims();
        var sib = claims.Single(c => c.Topic.StartsWith("sibling probes"));
        Assert.StartsWith("not measurable", sib.Verdict);
        Assert.Equal("missing from the manifest: rocoder/pretrained", sib.ThisModel);
        Assert.StartsWith("not measurable", Verdict(claims, "the short-convolution fix"));
        Assert.Equal(10, claims.Count);
        Assert.All(claims, c => Assert.Matches("^(agrees|partly|differs|not measurable) — ", c.Verdict));
    }
}
