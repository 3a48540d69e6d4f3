// Switches for the fused libtorch kernels a forward pass uses where no hook needs an intermediate they never materialise.
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>
/// The Transformer forward passes compute some steps with one fused libtorch kernel instead of the step-by-step maths
/// whose intermediates are hook sites: attention by <c>scaled_dot_product_attention</c> (unless <c>hook_attn_scores</c> or
/// <c>hook_pattern</c> of that layer is active), LayerNorm by libtorch's <c>layer_norm</c> (unless that norm's
/// <c>hook_scale</c> is active), GELU (tanh form) by libtorch's <c>gelu</c>, and a Conv1D product with its bias by
/// <c>addmm</c>. Both paths compute the same function (the
/// fixtures pass at fp32 1e-4 either way; bfloat16 results can differ in the last bit because the fused kernels round
/// once). The switches exist for benchmarks (one lever at a time) and for ruling a kernel out while debugging;
/// they are process-wide, so set them before running models, not while another thread runs one. Only inference uses
/// them (no gradient, no <see cref="Precision"/> product dtype): training keeps the step-by-step maths it was measured with.
/// </summary>
public static class FusedKernels
{
    /// <summary>Whether this flow is inference: no gradient recorded and products in the operands' own dtype.</summary>
    internal static bool Inference => !is_grad_enabled() && Precision.Matmul is null;

    /// <summary>Fused attention where scores and pattern are not hooked (default true).</summary>
    public static bool Attention { get; set; } = true;

    /// <summary>Fused LayerNorm where hook_scale is not hooked (default true).</summary>
    public static bool Norms { get; set; } = true;

    /// <summary>Fused tanh-GELU (gelu_new, gelu_pytorch_tanh, gelu_fast) (default true).</summary>
    public static bool Gelu { get; set; } = true;

    /// <summary>The bias of GPT-2's Conv1D products added by the product itself (addmm), not by a second pass (default true).</summary>
    public static bool Bias { get; set; } = true;
}
