// `sharplens lens | attribute | patch` on the shipped default model, checked against the model's own forward pass.
using System.Text.Json;
using SharpLens.Loading;
using SharpLens.Tests.Support;
using SharpLens.Tokenization;
using static TorchSharp.torch;

namespace SharpLens.Tests.Cli;

public class AnalysisCommandTests
{
    static readonly string Model = Path.Combine(Fixtures.RepoRoot, "models", "sharplens-py-small");
    const string Prompt = "print(len(str(x", Corrupted = "print(len(x(x";
    /// <summary>The default model's layer count (read from its config, so the tests follow a retrained model).</summary>
    static readonly int Layers = JsonDocument.Parse(File.ReadAllText(Path.Combine(Model, "config.json"))).RootElement.GetProperty("num_hidden_layers").GetInt32();
    static string LastResidPost => $"blocks.{Layers - 1}.hook_resid_post";

    /// <summary>The model's next-token logits after <paramref name="prompt"/> (float32 [d_vocab]) and the ids of ")))" and "))" after it.</summary>
    static (float[] Logits, int Answer, int Foil) Reference(string prompt)
    {
        var tok = Tokenizer.Load(Model);
        using var model = ModelLoader.Load(Model);
        var ids = tok.Encode(prompt).Ids.Select(i => (long)i).ToArray();
        int Next(string run) => tok.Encode(prompt + run).Ids[ids.Length];
        using var logits = model.Run(tensor(ids).unsqueeze(0));
        return (logits[0, -1].data<float>().ToArray(), Next(")))"), Next("))"));
    }

    static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [Fact]
    public void Lens_writes_json_and_html_whose_last_layer_is_the_models_prediction()
    {
        using var tmp = new TempDir();
        var (code, err) = Support.Cli.Run("lens", "--model", Model, "--prompt", Prompt, "--answer", ")))", "--foil", "))", "--out", tmp.Path);
        Assert.True(code == 0, err);
        var (logits, answer, foil) = Reference(Prompt);
        var j = Json(tmp.File("lens.json"));
        Assert.Equal(answer, j.GetProperty("input").GetProperty("answer_id").GetInt32());
        var last = j.GetProperty("readings").EnumerateArray().Last();                       // last resid_post, last position
        Assert.Equal(LastResidPost, last.GetProperty("hook").GetString());
        Assert.Equal(Array.IndexOf(logits, logits.Max()), last.GetProperty("top_ids")[0].GetInt32());
        double p = Math.Exp(logits[answer] - Math.Log(logits.Sum(v => Math.Exp(v))));
        Assert.True(Math.Abs(p - last.GetProperty("answer_prob").GetDouble()) < 1e-4);
        Assert.True(Math.Abs(logits[answer] - logits[foil] - last.GetProperty("logit_diff").GetDouble()) < 1e-4);
        var html = File.ReadAllText(tmp.File("lens.html"));
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(LastResidPost, html);
    }

    [Fact]
    public void Attribute_components_sum_to_the_models_logit_difference()
    {
        using var tmp = new TempDir();
        var (code, err) = Support.Cli.Run("attribute", "--model", Model, "--prompt", Prompt, "--answer", ")))", "--foil", "))", "--out", tmp.Path);
        Assert.True(code == 0, err);
        var (logits, answer, foil) = Reference(Prompt);
        var a = Json(tmp.File("attribution.json")).GetProperty("attribution");
        Assert.True(Math.Abs(logits[answer] - logits[foil] - a.GetProperty("actual").GetDouble()) < 1e-4);
        Assert.True(Math.Abs(a.GetProperty("sum").GetDouble() - a.GetProperty("actual").GetDouble()) < 1e-4);
        Assert.Equal(Layers, a.GetProperty("heads").GetArrayLength());          // one row of heads per layer
        Assert.Contains("<svg", File.ReadAllText(tmp.File("attribution.html")));
    }

    [Fact]
    public void Patch_baselines_are_the_clean_and_corrupted_runs()
    {
        using var tmp = new TempDir();
        var (code, err) = Support.Cli.Run("patch", "--model", Model, "--prompt", Prompt, "--corrupted", Corrupted, "--answer", ")))", "--foil", "))",
            "--sites", "resid_post,z", "--receiver", "3.0.q", "--out", tmp.Path);
        Assert.True(code == 0, err);
        var (clean, answer, foil) = Reference(Prompt);
        var (corrupt, _, _) = Reference(Corrupted);
        var results = Json(tmp.File("patch.json")).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["hook_resid_post", "attn.hook_z"], results.Select(r => r.GetProperty("site").GetString()));
        foreach (var r in results)
        {
            Assert.True(Math.Abs(clean[answer] - clean[foil] - r.GetProperty("clean").GetDouble()) < 1e-4);
            Assert.True(Math.Abs(corrupt[answer] - corrupt[foil] - r.GetProperty("corrupted").GetDouble()) < 1e-4);
        }
        // denoising the last layer's resid_post at the last position restores the clean prediction exactly
        var post = results[0].GetProperty("values")[Layers - 1].EnumerateArray().Last().GetDouble();
        Assert.True(Math.Abs(post - results[0].GetProperty("clean").GetDouble()) < 1e-4);
        Assert.Equal("head", results[1].GetProperty("columns").GetString());
        var path = Json(tmp.File("patch.json")).GetProperty("paths")[0];
        Assert.Equal(3, path.GetProperty("receiver_layer").GetInt32());
        Assert.True(Math.Abs(clean[answer] - clean[foil] - path.GetProperty("clean").GetDouble()) < 1e-4);
        Assert.Equal("NaN", path.GetProperty("values")[3][0].GetString());                     // no senders at the receiver's layer
        Assert.Contains("Paths into L3H0", File.ReadAllText(tmp.File("patch.html")));
    }

    [Theory]
    [InlineData("same number of tokens", "patch", "--prompt", Prompt, "--corrupted", "print(x", "--answer", ")")]
    [InlineData("--position must lie in", "attribute", "--prompt", Prompt, "--answer", ")", "--position", "40")]
    [InlineData("--sites: expected resid_pre", "lens", "--prompt", Prompt, "--sites", "resid_middle")]
    [InlineData("--receiver: expected LAYER.HEAD", "patch", "--prompt", Prompt, "--corrupted", Corrupted, "--answer", ")", "--receiver", "3.q")]
    [InlineData("--mode must be", "patch", "--prompt", Prompt, "--corrupted", Corrupted, "--answer", ")", "--mode", "both")]
    public void Bad_inputs_fail_with_one_error_line_and_exit_code_2(string expected, params string[] args)
    {
        using var tmp = new TempDir();
        var (code, err) = Support.Cli.Run([args[0], "--model", Model, "--out", tmp.File("out"), .. args[1..]]);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
