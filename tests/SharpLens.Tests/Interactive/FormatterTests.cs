// The notebook views through .NET Interactive's formatter (no kernel): structure, escaping, self-containment, and the
// one-line messages for disposed objects and tensors of the wrong shape.
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Formatting;
using SharpLens.Analysis;
using SharpLens.Analysis.Spectra;
using SharpLens.Hooks;
using SharpLens.Interactive;
using SharpLens.Loading;
using SharpLens.Reports;
using SharpLens.Tests.Support;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Tests.Interactive;

public class FormatterTests
{
    static readonly string ModelDir = Path.Combine(Fixtures.RepoRoot, "models", "sharplens-py-small");

    static FormatterTests() => SharpLensFormatters.Register();

    static string Html(object value) => Formatter.ToDisplayString(value, HtmlFormatter.MimeType);

    static int Count(string html, string pattern) => Regex.Matches(html, pattern).Count;

    static void IsError(string html, string what, string reason)
    {
        Assert.StartsWith("<div class=\"sharplens sharplens-error\">", html);
        Assert.Contains($"SharpLens cannot display this {what}:", html);
        Assert.Contains(reason, html);
    }

    static AttentionPattern Pattern(string[] tokens, int heads)
    {
        int n = tokens.Length;
        // head h attends from query q to key max(0, q − h) only (causal, one-hot rows)
        var w = Enumerable.Range(0, heads).Select(h => Enumerable.Range(0, n).Select(q => Enumerable.Range(0, n).Select(k => k == Math.Max(0, q - h) ? 1f : 0f).ToArray()).ToArray()).ToArray();
        return new AttentionPattern("test pattern", tokens, w);
    }

    [Fact]
    public void Registering_twice_keeps_one_formatter_and_the_view_replaces_the_default_tree()
    {
        SharpLensFormatters.Register();
        var html = Html(Pattern(["a", "b"], 1));
        Assert.StartsWith("<div class=\"sharplens\">", html);
        Assert.DoesNotContain("dni-treeview", html);
    }

    [Fact]
    public void An_attention_view_has_one_hoverable_box_per_token_a_head_selector_and_its_data()
    {
        var html = Html(Pattern(["print", "(", "x", ")"], 3));
        HtmlAssert.SelfContained(html);
        Assert.Equal(4, Count(html, "<span class=\"tok sl-q\" data-pos=\"\\d\">"));
        Assert.Equal(3 + 1, Count(html, "<option value="));                             // each head and the mean
        Assert.Contains("mouseenter", html);
        Assert.Equal(4 * 4, Count(html, "stroke=\"#fff\""));                                   // the static mean heatmap, query × key
        var data = Regex.Match(html, "<script type=\"application/json\" class=\"sl-data\">(.*?)</script>").Groups[1].Value;
        using var json = System.Text.Json.JsonDocument.Parse(data);
        Assert.Equal(3, json.RootElement.GetProperty("w").GetArrayLength());
        Assert.Equal(1.0, json.RootElement.GetProperty("w")[2][3][1].GetDouble());       // head 2, query 3 → key 1
    }

    [Fact]
    public void Token_text_is_escaped_in_the_markup_and_cannot_close_the_data_script()
    {
        var html = Html(Pattern(["</script><b>x</b>", "&\"'"], 1));
        Assert.Contains("&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;", html);
        Assert.Contains("&amp;&quot;&#39;", html);
        Assert.DoesNotContain("<b>x</b>", html);
        Assert.Equal(2, Count(html, "</script>"));                                        // only the data and the code elements close
        Assert.Equal(2, Count(html, "<script"));
        Assert.Contains(">x\\n</span>", Html(Pattern(["x\n", "y"], 1)));                  // a line break is shown, not an empty box
    }

    [Theory]
    [InlineData(new long[] { 5 }, "found a tensor of rank 1 [5]")]
    [InlineData(new long[] { 1, 2, 3, 4, 4 }, "found a tensor of rank 5 [1, 2, 3, 4, 4]")]
    [InlineData(new long[] { 2, 3, 4 }, "found 3 queries and 4 keys [2, 3, 4]")]
    [InlineData(new long[] { 1, 2, 5, 5 }, "the pattern has 5 positions [1, 2, 5, 5] but 3 tokens were given")]
    public void A_tensor_that_is_not_a_pattern_for_these_tokens_shows_why(long[] shape, string reason)
    {
        using var t = zeros(shape);
        IsError(Html(new AttentionView(t, ["a", "b", "c"])), "attention pattern", reason);
    }

    [Fact]
    public void A_batch_outside_the_pattern_and_a_disposed_tensor_show_why()
    {
        using (var t = zeros(2, 1, 3, 3))
            IsError(Html(new AttentionView(t, null, Batch: 2)), "attention pattern", "batch 2 is outside the pattern&#39;s 2 sequences");
        var gone = zeros(1, 1, 3, 3);
        gone.Dispose();
        IsError(Html(new AttentionView(gone, null)), "attention pattern", "has been disposed");
        IsError(Html(gone), "tensor", "has been disposed");
    }

    [Fact]
    public void A_tensor_shows_its_shape_dtype_and_first_values()
    {
        using var t = arange(20, dtype: ScalarType.Float32).reshape(4, 5);
        var html = Html(t);
        Assert.Contains("<code>[4, 5]</code> Float32", html);
        Assert.Contains("0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …", html);
    }

    [Fact]
    public void A_model_its_cache_and_a_pattern_from_the_cache_render_and_disposed_ones_show_a_message()
    {
        using var scope = NewDisposeScope();
        var model = ModelLoader.Load(ModelDir);
        var tok = Tokenizer.Load(ModelDir);
        var prompt = Prompt.Of(tok, "print(len(str(x");

        var m = Html(model);
        Assert.Contains("LlamaForCausalLM", m);
        Assert.Contains($"hook catalogue: {model.HookCatalog.Count} hooks", m);
        Assert.Contains("<td>blocks.5.attn.hook_pattern</td>", m);
        HtmlAssert.SelfContained(m);

        var cache = model.RunWithCache(prompt.Batch(), HookFilter.Sites(Site.ResidPost, Site.Pattern));
        var c = Html(cache);
        Assert.Contains($"{cache.Count} activations; logits [1, {prompt.Ids.Length}, {model.Info.DVocab}]", c);
        Assert.Contains($"<td>blocks.0.attn.hook_pattern</td><td>[1, {model.Info.NHeads}, {prompt.Ids.Length}, {prompt.Ids.Length}]</td>", c);

        var a = Html(AttentionView.Of(cache, 2, prompt.Tokens));
        Assert.Equal(prompt.Ids.Length, Count(a, "class=\"tok sl-q\""));
        Assert.Equal(model.Info.NHeads + 1, Count(a, "<option value="));

        var pattern = new AttentionView(cache[HookName.Pattern(2)], prompt.Tokens);
        cache.Dispose();
        IsError(Html(cache), "activation cache", "the cache has been disposed");
        IsError(Html(pattern), "attention pattern", "has been disposed");
        Assert.Throws<ObjectDisposedException>(() => cache[HookName.Pattern(2)]);

        model.Dispose();
        IsError(Html(model), "model", "the model has been disposed");
    }

    [Fact]
    public void A_lens_report_is_a_hook_by_position_grid_of_escaped_top_tokens()
    {
        var input = new PromptInput("m", "LlamaForCausalLM", "f(<x", ["f", "(", "<x"], AnswerId: 2, Answer: ")", FoilId: 3, Foil: "))");
        string[] hooks = ["blocks.0.hook_resid_post", "blocks.1.hook_resid_post"];
        var readings = hooks.SelectMany((h, l) => Enumerable.Range(0, 3).Select(p =>
            new LensReading(h, "hook_resid_post", l, p, [1, 2], [0.6, 0.3], 0.3, 2, 0.5))).ToList();
        var r = new LensReport(input, readings, new Dictionary<string, string> { ["1"] = "<b>", ["2"] = ")" });
        var html = Html(r);
        HtmlAssert.SelfContained(html);
        Assert.Equal(2 * 3, Count(html, "<td class=\"tok\" style=\"background:rgb"));
        Assert.Contains("<th>2:&lt;x</th>", html);
        Assert.Contains(">&lt;b&gt;</td>", html);
        Assert.DoesNotContain("<b></td>", html);
        Assert.Contains("Answer <code>)</code> (id 2), foil <code>))</code> (id 3)", html);
    }

    [Fact]
    public void A_patching_result_is_a_layer_by_position_heatmap_with_its_raw_values()
    {
        var p = new PatchResult("hook_resid_pre", PatchMode.Denoising, "position", Clean: 2, Corrupted: 0, [[0, 1, 2], [2, 2, 2]]);
        var html = Html(p);
        HtmlAssert.SelfContained(html);
        Assert.Equal(2 * 3, Count(html, "stroke=\"#fff\""));
        Assert.Contains("<title>L0, 2: 1</title>", html);                                // (2 − 0) / (2 − 0) at layer 0, position 2
        Assert.Contains("<title>L0, 1: 0.5</title>", html);
        Assert.Contains("raw metric values", html);
    }

    [Fact]
    public void Kernel_spectra_are_a_metrics_table_and_a_magnitude_plot_per_layer()
    {
        var k = Enumerable.Range(0, 256).Select(l => Math.Pow(0.9, l)).ToArray();
        var mag = KernelSpectrum.Magnitude(k);
        var entry = new KernelEntry(0, "fwd", KernelSpectrum.FromMagnitude(mag, k.Length), [new Pole(0.9, 0, 9.5)], k, mag);
        var model = new ModelKernels("<tiny>", "BiGSForMaskedLM", "s4d", 256, "method", [entry, entry with { Direction = "bwd" }, entry with { Layer = 1 }]);
        var html = Html(model);
        HtmlAssert.SelfContained(html);
        Assert.Contains("&lt;tiny&gt;", html);
        Assert.Equal(3, Count(html, "<td>low-pass</td>"));
        Assert.Equal(2, Count(html, "<svg class=\"chart\""));                            // layers 0 and 1
        Assert.Equal(3, Count(html, "<polyline points="));
        Assert.Equal(1, Count(Html(entry), "<svg class=\"chart\""));
    }

    [Fact]
    public void Null_and_types_without_a_view_give_a_message_not_an_exception()
    {
        IsError(SharpLensFormatters.ToHtml(null), "value", "it is null");
        IsError(SharpLensFormatters.ToHtml(42), "Int32", "SharpLens has no view for this type");
        var empty = new LensReport(new PromptInput("m", "a", "p", []) { }, [], new Dictionary<string, string>());
        Assert.StartsWith("<div class=\"sharplens", Html(empty));
    }
}
