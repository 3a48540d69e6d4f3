// Rich notebook display: text/html formatters for SharpLens' objects, drawn by the report renderers (SharpLens.Reports).
using System.Globalization;
using System.Net;
using Microsoft.DotNet.Interactive.Formatting;
using SharpLens.Analysis;
using SharpLens.Analysis.Spectra;
using SharpLens.Hooks;
using SharpLens.Reports;
using static TorchSharp.torch;

namespace SharpLens.Interactive;

/// <summary>
/// Registers the HTML views with .NET Interactive's formatter. Loading the package with <c>#r "nuget: SharpLens.Interactive"</c>
/// calls <see cref="Register"/> (the package's <c>interactive-extensions/dotnet/extension.dib</c>); after <c>#r</c> on the
/// built DLL, call it yourself. A view that cannot be drawn (a disposed model, cache or tensor, a tensor of the wrong
/// rank) shows one line saying why instead of throwing.
/// </summary>
public static class SharpLensFormatters
{
    static int registered;

    /// <summary>Registers every view once (later calls do nothing).</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        Add<HookedModel>();
        Add<ModelSummary>();
        Add<ActivationCache>();
        Add<CacheSummary>();
        Add<AttentionView>();
        Add<AttentionPattern>();
        Add<LensReport>();
        Add<AttributionReport>();
        Add<PatchReport>();
        Add<PatchResult>();
        Add<PathPatchResult>();
        Add<ModelKernels>();
        Add<KernelEntry>();
        Add<Tensor>();
    }

    static void Add<T>() => Formatter.Register<T>((value, writer) => writer.Write(ToHtml(value)), HtmlFormatter.MimeType);

    /// <summary>The HTML a notebook shows for <paramref name="value"/>: a view, or an error line; never throws.</summary>
    public static string ToHtml(object? value)
    {
        string what = value switch
        {
            null => "value", HookedModel => "model", ActivationCache => "activation cache", Tensor => "tensor",
            AttentionView or AttentionPattern => "attention pattern", _ => value.GetType().Name,
        };
        try
        {
            return value switch
            {
                null => ViewHtml.Error(what, "it is null"),
                HookedModel m => m.IsDisposed ? ViewHtml.Error(what, "the model has been disposed (its weights are freed); load it again")
                    : ViewHtml.Frame($"{m.Info.Architecture}" + (m.SourceDirectory is null ? "" : $" from {m.SourceDirectory}"), ViewHtml.Model(ModelSummary.Of(m))),
                ModelSummary s => ViewHtml.Frame(s.Architecture, ViewHtml.Model(s)),
                ActivationCache c => c.IsDisposed ? ViewHtml.Error(what, "the cache has been disposed (its tensors are freed); run the model again or keep the cache alive while you use it")
                    : ViewHtml.Frame("ActivationCache", ViewHtml.Cache(CacheSummary.Of(c))),
                CacheSummary c => ViewHtml.Frame("ActivationCache", ViewHtml.Cache(c)),
                AttentionView a => ViewHtml.Frame("Attention", AttentionHtml.Render(AttentionPattern.From(a.Pattern, a.Tokens, a.Title, a.Batch))),
                AttentionPattern p => ViewHtml.Frame("Attention", AttentionHtml.Render(p)),
                LensReport r => ViewHtml.Frame("Logit lens", AnalysisHtml.Prompt(r.Input) + AnalysisHtml.LensBody(r)),
                AttributionReport r => ViewHtml.Frame("Direct logit attribution", AnalysisHtml.Prompt(r.Input) + AnalysisHtml.AttributionBody(r)),
                PatchReport r => ViewHtml.Frame("Activation patching", AnalysisHtml.Prompt(r.Input) + AnalysisHtml.PatchBody(r)),
                PatchResult r => ViewHtml.Frame("Activation patching", AnalysisHtml.PatchSite(r)),
                PathPatchResult r => ViewHtml.Frame("Path patching", AnalysisHtml.PatchPaths(r)),
                ModelKernels k => ViewHtml.Frame("SSM kernel spectra", SpectraHtml.Model(k)),
                KernelEntry k => ViewHtml.Frame($"Kernel layer {k.Layer} {k.Direction}", SpectraHtml.MagnitudeResponse($"layer {k.Layer} {k.Direction}", [(k.Direction, k, 0)])),
                Tensor t => TensorHtml(t),
                _ => ViewHtml.Error(what, "SharpLens has no view for this type"),
            };
        }
        catch (Exception e) when (e is ObjectDisposedException or ArgumentException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or NotSupportedException)
        {
            return ViewHtml.Error(what, e.Message);
        }
        catch (Exception e)
        {
            return ViewHtml.Error(what, $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Shape, dtype, device and the first values; a disposed tensor says so (TorchSharp throws on any access).</summary>
    static string TensorHtml(Tensor t)
    {
        if (t.IsInvalid) return ViewHtml.Error("tensor", "the tensor has been disposed (was the ActivationCache or dispose scope it belonged to disposed?)");
        using var scope = NewDisposeScope();
        var flat = t.detach().flatten();
        int n = (int)Math.Min(flat.shape[0], 12);
        string values = "";
        if (n > 0)
        {
            var head = flat[..n].to(ScalarType.Float64).cpu().data<double>().ToArray();
            values = string.Join(", ", head.Select(v => v.ToString("G4", CultureInfo.InvariantCulture))) + (flat.shape[0] > n ? ", …" : "");
        }
        return ViewHtml.Frame("Tensor", $"<p><code>[{string.Join(", ", t.shape)}]</code> {WebUtility.HtmlEncode(t.dtype.ToString())} on {WebUtility.HtmlEncode(t.device.ToString())}" +
            (n > 0 ? $": <code>{WebUtility.HtmlEncode(values)}</code>" : "") + "</p>");
    }
}
