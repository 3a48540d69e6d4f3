// The output heads a checkpoint may carry, and the entry point of each: Forward is the LM head only.
using SharpLens.Hooks;
using static TorchSharp.torch;

namespace SharpLens;

/// <summary>The output head of a checkpoint.</summary>
public enum ModelHead
{
    /// <summary>Next-token or masked-token logits [batch, pos, d_vocab]: <see cref="HookedModel.Forward"/>.</summary>
    LanguageModel,
    /// <summary>Per-token label logits [batch, pos, num_labels]: <see cref="IEncoderHeads.ClassifyTokens"/>.</summary>
    TokenClassification,
    /// <summary>Per-sequence label logits [batch, num_labels]: the architecture's own <c>Classify</c>.</summary>
    SequenceClassification,
    /// <summary>No head (a bare encoder): <see cref="IEncoderHeads.Hidden"/>.</summary>
    None,
}

/// <summary>
/// The entry points of encoders whose checkpoints may carry another head than the LM head (RoFormer, BiGS). Each runs
/// the same encoder (every block hook fires) and its own head; none of them depends on which head the config names
/// except to refuse a head the checkpoint lacks.
/// </summary>
public interface IEncoderHeads
{
    /// <summary>The last hidden state [batch, pos, d_model] (HF <c>last_hidden_state</c>): the encoder without any head.</summary>
    Tensor Hidden(Tensor inputIds, Tensor? attentionMask = null);

    /// <summary>Per-token label logits [batch, pos, num_labels]; throws <see cref="NotSupportedException"/> without a token-classification head.</summary>
    Tensor ClassifyTokens(Tensor inputIds, Tensor? attentionMask = null);
}

/// <summary>One output per checkpoint whatever its head, for reference files (<c>sharplens verify</c>, exported references).</summary>
public static class ModelOutputs
{
    /// <summary>
    /// Inference through the checkpoint's head: what HF's outputs call <c>logits</c> (LM or per-token label logits), or
    /// <c>last_hidden_state</c> for sequence-classification and bare encoders (whose references store that).
    /// </summary>
    public static Tensor Logits(HookedModel model, Tensor inputIds, Tensor? attentionMask = null)
    {
        if (model.Head == ModelHead.LanguageModel) return model.Run(inputIds, attentionMask);
        var encoder = model as IEncoderHeads ?? throw new NotSupportedException($"{model.Info.Architecture} has a {model.Head} head but no encoder entry points");
        model.ValidateInput(inputIds, attentionMask);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var output = model.Head == ModelHead.TokenClassification ? encoder.ClassifyTokens(inputIds, attentionMask) : encoder.Hidden(inputIds, attentionMask);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The hook a cached run can stop at on a checkpoint without an LM head (the last block's output), or null when it has one.</summary>
    public static HookName? BodyEnd(HookedModel model) =>
        model.Head == ModelHead.LanguageModel ? null : HookName.ResidPost(model.Info.NLayers - 1);
}
