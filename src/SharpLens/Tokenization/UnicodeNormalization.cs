// Unicode normalization (NFC/NFD/NFKC/NFKD) that also works under InvariantGlobalization, where string.Normalize is a no-op.
using System.Runtime.InteropServices;
using System.Text;

namespace SharpLens.Tokenization;

/// <summary>
/// With <c>InvariantGlobalization</c> (as the CLI and tests run), .NET's <c>string.Normalize</c> silently returns its
/// input unchanged for non-ASCII text. Then this calls ICU's <c>unorm2_*</c> functions directly (the libicuuc that
/// .NET itself would use); ASCII text is returned as is, since it is invariant under all four forms.
/// </summary>
internal static unsafe class UnicodeNormalization
{
    static readonly bool dotnetWorks = "e\u0301".Normalize(NormalizationForm.FormC).Length == 1;
    static readonly Icu? icu = dotnetWorks ? null : Icu.TryLoad();

    public static bool IsNormalized(string s, NormalizationForm form)
    {
        if (!HasNonAscii(s)) return true;
        if (dotnetWorks) return s.IsNormalized(form);
        return Require().IsNormalized(s, form);
    }

    public static string Normalize(string s, NormalizationForm form)
    {
        if (!HasNonAscii(s)) return s;
        if (dotnetWorks) return s.Normalize(form);
        return Require().Normalize(s, form);
    }

    static bool HasNonAscii(string s) => s.AsSpan().IndexOfAnyExceptInRange('\0', '\u007F') >= 0;

    static Icu Require() => icu ?? throw new NotSupportedException(
        "Unicode normalization (NFC/NFD/NFKC/NFKD) of non-ASCII text needs ICU: InvariantGlobalization is on and no libicuuc could be loaded");

    sealed class Icu
    {
        readonly delegate* unmanaged<int*, IntPtr>[] instances = new delegate* unmanaged<int*, IntPtr>[4];
        readonly delegate* unmanaged<IntPtr, char*, int, char*, int, int*, int> normalize;
        readonly delegate* unmanaged<IntPtr, char*, int, int*, sbyte> isNormalized;

        Icu(IntPtr lib, string suffix)
        {
            string[] names = ["unorm2_getNFCInstance", "unorm2_getNFDInstance", "unorm2_getNFKCInstance", "unorm2_getNFKDInstance"];
            for (int i = 0; i < 4; i++) instances[i] = (delegate* unmanaged<int*, IntPtr>)NativeLibrary.GetExport(lib, names[i] + suffix);
            normalize = (delegate* unmanaged<IntPtr, char*, int, char*, int, int*, int>)NativeLibrary.GetExport(lib, "unorm2_normalize" + suffix);
            isNormalized = (delegate* unmanaged<IntPtr, char*, int, int*, sbyte>)NativeLibrary.GetExport(lib, "unorm2_isNormalized" + suffix);
        }

        public static Icu? TryLoad()
        {
            for (int v = 90; v >= 50; v--)
            {
                if (!NativeLibrary.TryLoad($"libicuuc.so.{v}", out var lib) && !NativeLibrary.TryLoad($"libicuuc.{v}.dylib", out lib)) continue;
                foreach (var suffix in new[] { $"_{v}", "" })
                    if (NativeLibrary.TryGetExport(lib, "unorm2_normalize" + suffix, out _)) return new Icu(lib, suffix);
            }
            return null;
        }

        IntPtr Instance(NormalizationForm form)
        {
            int index = form switch
            {
                NormalizationForm.FormC => 0, NormalizationForm.FormD => 1, NormalizationForm.FormKC => 2, NormalizationForm.FormKD => 3,
                _ => throw new ArgumentOutOfRangeException(nameof(form), $"unknown normalization form {form}"),
            };
            int err = 0;
            var p = instances[index](&err);
            if (err > 0) throw new InvalidOperationException($"ICU unorm2 instance for {form} failed with error {err}");
            return p;
        }

        public bool IsNormalized(string s, NormalizationForm form)
        {
            var n = Instance(form);
            int err = 0;
            fixed (char* p = s)
            {
                var r = isNormalized(n, p, s.Length, &err);
                if (err > 0) throw new InvalidOperationException($"ICU unorm2_isNormalized failed with error {err}");
                return r != 0;
            }
        }

        public string Normalize(string s, NormalizationForm form)
        {
            var n = Instance(form);
            int capacity = s.Length * 3 + 16;
            while (true)
            {
                var buffer = new char[capacity];
                int err = 0, len;
                fixed (char* src = s) fixed (char* dst = buffer) len = normalize(n, src, s.Length, dst, capacity, &err);
                if (err == 15 /* U_BUFFER_OVERFLOW_ERROR */) { capacity = len + 16; continue; }
                if (err > 0) throw new InvalidOperationException($"ICU unorm2_normalize failed with error {err}");
                return new string(buffer, 0, len);
            }
        }
    }
}
