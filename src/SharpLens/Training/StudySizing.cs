// Widths of SSM-Interpret's three encoders (CodeSSM, RoCoder, CodeSSM-HF) so that their parameter counts agree within 5 %.
using SharpLens.Loading;

namespace SharpLens.Training;

/// <summary>One model of the study with its training options and exact parameter count.</summary>
public sealed record StudyModelSize(string Role, TrainOptions Options, long Parameters);

/// <summary>
/// Identical conditions, in parameters. With the same layers, d_model and vocabulary: a BiGS layer holds
/// 4·d² + 3·d·d_mlp weights (four d×d SSM projections, W_v, W_ol, W_o) and a RoFormer layer 4·d² + 2·d·d_mlp (q, k, v,
/// o; two MLP matrices), so equal MLP widths would leave RoCoder ~25 % smaller. The rule: CodeSSM keeps BiGS's
/// d_mlp = 4·d_model; RoCoder's d_mlp is the multiple of 8 whose total count is closest to CodeSSM's (≈ 6·d_model);
/// CodeSSM-HF keeps CodeSSM's widths exactly (the fix adds 2·(K+1)·d per layer, plus d per branch when gated, well
/// under 1 % at the study's sizes). Counts are exact: each model is built and its parameters counted (tied weights once).
/// </summary>
public static class StudySizing
{
    /// <summary>The largest relative difference allowed between any two of the three counts.</summary>
    public const double Tolerance = 0.05;

    /// <summary>Roles in the order of the study manifest.</summary>
    public static readonly IReadOnlyList<string> Roles = ["codessm", "rocoder", "codessm-hf"];

    /// <summary>
    /// The three models for <paramref name="common"/> (its layers, d_model, heads, d_state, seq_len, budget and optimiser are
    /// shared; its Arch, DMlp and ConvKernel are set here); throws when the counts are not within <see cref="Tolerance"/>.
    /// </summary>
    public static IReadOnlyList<StudyModelSize> Sizes(TrainOptions common, int vocabSize, int convKernel, string convMerge = "sum")
    {
        if (convKernel < 1) throw new ArgumentException($"--conv-kernel must be ≥ 1, found {convKernel}");
        int d = common.DModel;
        var codessm = common with { Arch = "bigs", Objective = Objective.Mlm, DMlp = 4 * d, ConvKernel = null };
        var hf = codessm with { ConvKernel = convKernel, ConvMerge = convMerge };
        var rocoder = common with { Arch = "roberta-rope", Objective = Objective.Mlm, ConvKernel = null };
        long target = Count(codessm, vocabSize);
        long c0 = Count(rocoder with { DMlp = 4 * d }, vocabSize), c1 = Count(rocoder with { DMlp = 4 * d + 8 }, vocabSize);
        double perWidth = (c1 - c0) / 8.0;                                                         // parameters per unit of d_mlp
        int width = Math.Max(8, (int)Math.Round((4 * d + (target - c0) / perWidth) / 8) * 8);
        rocoder = rocoder with { DMlp = width };
        var sizes = new List<StudyModelSize>
        {
            new("codessm", codessm, target), new("rocoder", rocoder, Count(rocoder, vocabSize)), new("codessm-hf", hf, Count(hf, vocabSize)),
        };
        long min = sizes.Min(s => s.Parameters), max = sizes.Max(s => s.Parameters);
        if (max > min * (1 + Tolerance))
            throw new ArgumentException($"expected parameter counts within {Tolerance:P0} of each other, found {string.Join(", ", sizes.Select(s => $"{s.Role} {s.Parameters:N0}"))}; " +
                                        "choose a larger --d-model or a smaller --conv-kernel");
        return sizes;
    }

    /// <summary>The exact parameter count of the model these options train (built, counted, disposed).</summary>
    public static long Count(TrainOptions o, int vocabSize)
    {
        var tok = new TrainTokenizer { Encode = _ => [], VocabSize = vocabSize, Hash = "sizing", PadId = 0, BosId = 0, EosId = 0, MaskId = 0 };
        var config = ModelFactory.Config(o, tok);
        using var model = ModelLoader.Create(HfConfig.FromJson(config.ToJsonString(), "config.json")).Model;
        return ModelFactory.ParameterCount(model);
    }
}
