// Mixed precision for training: matrix products in a lower dtype, everything else (and every parameter) in float32.
using static TorchSharp.torch;

namespace SharpLens.Nn;

/// <summary>
/// The dtype matrix products run in for the current flow (per async flow, like <see cref="Params"/>). Unset — the
/// default, and always the case for analysis — every product runs in its operands' own dtype. Set to bfloat16 by the
/// trainer for <c>--precision bf16</c>: the operands of each product are rounded to bfloat16 (the GEMM accumulates in
/// float32) and the result comes back in the dtype of the float32 operand, so parameters, norms, softmax, losses, the
/// S4D/FFT path and the SSM scan never see a bfloat16 tensor. Autograd records the casts, so gradients reach the
/// float32 parameters (the master weights) in float32, and the backward products run in bfloat16 too.
/// </summary>
public static class Precision
{
    static readonly AsyncLocal<ScalarType?> Current = new();

    /// <summary>The product dtype of this flow, or null (products in the operands' dtype).</summary>
    public static ScalarType? Matmul => Current.Value;

    /// <summary>Runs matrix products in <paramref name="dtype"/> (null: operand dtype) until disposed.</summary>
    public static IDisposable Use(ScalarType? dtype)
    {
        var previous = Current.Value;
        Current.Value = dtype;
        return new Restore(previous);
    }

    /// <summary>x Wᵀ + b (nn.functional.linear) with the product in <see cref="Matmul"/>; the bias is added in the result dtype.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (Current.Value is not ScalarType d || weight.dtype == d) return nn.functional.linear(x, weight, bias);
        var y = nn.functional.linear(x.to(d), weight.to(d)).to(weight.dtype);
        return bias is null ? y : y + bias;
    }

    /// <summary>a · b (torch.matmul) with the product in <see cref="Matmul"/>, returned in the wider operand dtype.</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (Current.Value is not ScalarType d || (a.dtype == d && b.dtype == d)) return a.matmul(b);
        var back = a.dtype == d ? b.dtype : a.dtype;
        return a.to(d).matmul(b.to(d)).to(back);
    }

    /// <summary>
    /// True when the CPU multiplies bfloat16 natively (x86 AVX512-BF16 or AMX-BF16; Arm BF16), read from /proc/cpuinfo.
    /// Without it libtorch emulates bfloat16 products and they are slower than float32.
    /// </summary>
    public static bool CpuHasNativeBf16 { get; } = DetectNativeBf16();

    static bool DetectNativeBf16()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return false;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (!line.StartsWith("flags", StringComparison.Ordinal) && !line.StartsWith("Features", StringComparison.Ordinal)) continue;
                var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return flags.Contains("avx512_bf16") || flags.Contains("amx_bf16") || flags.Contains("bf16");
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return false;
    }

    sealed class Restore(ScalarType? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
