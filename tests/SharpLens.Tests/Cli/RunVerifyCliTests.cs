// `sharplens run --dump` and `sharplens verify` end to end, plus their bad-input behaviour.
using SharpLens.Loading;
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Cli;

public class RunVerifyCliTests
{
    [FixtureFact]
    public void Verify_passes_on_a_fixture_and_fails_on_the_wrong_model()
    {
        var f = Fixtures.Model("llama-gqa");
        Assert.Equal(0, Support.Cli.Run("verify", f, Path.Combine(f, "reference.safetensors")).Code);
        Assert.Equal(1, Support.Cli.Run("verify", f, Path.Combine(f, "reference.safetensors"), "--atol", "1e-9").Code);
    }

    [FixtureFact]
    public void Run_dump_writes_hooks_under_their_names_and_verify_reads_it_back()
    {
        using var dir = new TempDir();
        var f = Fixtures.Model("stories260K");
        var dump = dir.File("acts.safetensors");
        var (code, err) = Support.Cli.Run("run", f, "--ids", "1,403,407,261;1,291,280", "--dump", dump, "--hooks", "blocks.*.hook_resid_post", "blocks.0.attn.hook_pattern");
        Assert.True(code == 0, err);
        using (var file = SafeTensorsFile.Open(dump))
        {
            var keys = file.Keys.ToHashSet();
            Assert.Contains("logits", keys);
            Assert.Contains("input_ids", keys);
            Assert.Contains("attention_mask", keys);
            Assert.Contains("blocks.0.attn.hook_pattern", keys);
            Assert.Equal(5, keys.Count(k => k.EndsWith("hook_resid_post")));
            Assert.Equal([2L, 4, 512], file.Shape("logits"));
        }
        Assert.Equal(0, Support.Cli.Run("verify", f, dump).Code);
    }

    [FixtureFact]
    public void Unknown_hook_fails_clearly_and_writes_no_file()
    {
        using var dir = new TempDir();
        var dump = dir.File("acts.safetensors");
        var (code, err) = Support.Cli.Run("run", Fixtures.Model("stories260K"), "--ids", "1,2", "--dump", dump, "--hooks", "blocks.0.attn.hook_patern");
        Assert.Equal(2, code);
        Assert.Contains("did you mean blocks.0.attn.hook_pattern", err);
        Assert.False(File.Exists(dump));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [FixtureTheory]
    [InlineData("1,x")]
    [InlineData("1,2;")]
    public void Malformed_ids_are_usage_errors(string ids)
    {
        var (code, err) = Support.Cli.Run("run", Fixtures.Model("stories260K"), "--ids", ids);
        Assert.Equal(2, code);
        Assert.StartsWith("error:", err);
    }

    [FixtureFact]
    public void Out_of_vocab_ids_and_missing_folders_are_clear_errors()
    {
        var (code, err) = Support.Cli.Run("run", Fixtures.Model("stories260K"), "--ids", "1,99999");
        Assert.Equal(2, code);
        Assert.Contains("outside the vocabulary", err);
        (code, err) = Support.Cli.Run("inspect", "/no/such/model");
        Assert.Equal(2, code);
        Assert.Contains("/no/such/model", err);
        (code, err) = Support.Cli.Run("verify", Fixtures.Model("stories260K"), "/no/such/ref.safetensors");
        Assert.Equal(2, code);
        Assert.Contains("/no/such/ref.safetensors", err);
    }
}
