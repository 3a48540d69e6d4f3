// The committed SSM-Interpret models (models/ssm-interpret): the manifest loads, every folder verifies against the
// reference it ships, the three pretrainings ran under identical conditions, and the cards' scores are the folders'.
using System.Text.Json.Nodes;
using SharpLens.Analysis.SsmInterpret;
using SharpLens.Tests.Support;
using SharpLens.Training;

namespace SharpLens.Tests.Training;

public sealed class ShippedSsmInterpretModelsTests
{
    static readonly string Dir = Path.Combine(Fixtures.RepoRoot, "models", "ssm-interpret");
    static StudyManifest Manifest => StudyManifest.Load(Path.Combine(Dir, "manifest.json"));

    [Fact]
    public void The_manifest_names_nine_folders_each_role_and_variant_once()
    {
        var m = Manifest;
        Assert.Equal(9, m.Entries.Count);
        foreach (var role in new[] { "codessm", "rocoder", "codessm-hf" })
            foreach (var variant in StudyManifest.Variants)
                Assert.NotNull(m.Find(role, variant));
    }

    public static TheoryData<string> Folders() => new(Manifest.Entries.Select(e => e.Folder));

    [Theory]
    [MemberData(nameof(Folders))]
    public void Every_folder_verifies_against_its_reference_and_has_a_card(string folder)
    {
        var dir = Path.Combine(Dir, folder);
        var (code, output) = Support.Cli.Run("verify", dir, Path.Combine(dir, "reference.safetensors"));
        Assert.True(code == 0, output);
        var card = File.ReadAllText(Path.Combine(dir, "MODEL_CARD.md"));
        Assert.Contains("## How it was made", card);
        Assert.Contains(ModelCard.Scores(folder, dir).Parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), card);
    }

    [Fact]
    public void The_three_pretrainings_share_every_setting_and_their_sizes_agree_within_5_percent()
    {
        var runs = new[] { "codessm", "rocoder", "codessm-hf" }.Select(r => JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, r, "run.json")))!.AsObject()).ToList();
        foreach (var key in new[] { "objective", "layers", "d_model", "seq_len", "batch", "steps", "tokens", "lr", "min_lr", "warmup", "weight_decay", "beta1", "beta2", "clip", "seed", "init_std", "precision", "threads" })
            Assert.All(runs, r => Assert.Equal(runs[0][key]!.ToJsonString(), r[key]!.ToJsonString()));
        Assert.All(runs, r => Assert.Equal(runs[0]["corpus"]!["manifest_sha256"]!.ToString(), r["corpus"]!["manifest_sha256"]!.ToString()));
        var sizes = runs.Select(r => r["parameters"]!.GetValue<long>()).ToList();
        Assert.True(sizes.Max() <= 1.05 * sizes.Min(), string.Join(", ", sizes));
        Assert.True(runs[0]["layers"]!.GetValue<int>() >= 6);
        var tokenizers = new[] { "codessm", "rocoder", "codessm-hf" }.Select(r => File.ReadAllText(Path.Combine(Dir, r, "tokenizer.json"))).Distinct().Count();
        Assert.Equal(1, tokenizers);
    }

    [Fact]
    public void The_scores_table_is_the_folders_scores()
    {
        var rows = Manifest.Entries.Select(e => ModelCard.Scores(e.Name, e.Directory)).ToList();
        var table = ModelCard.ScoresTable(rows);
        Assert.StartsWith(table, File.ReadAllText(Path.Combine(Dir, "SCORES.md")));
        Assert.All(rows.Where(r => r.Name.EndsWith("/pretrained")), r => Assert.NotNull(r.MlmAccuracy));
        Assert.All(rows.Where(r => r.Name.EndsWith("/typeinf")), r => { Assert.NotNull(r.TypeAccuracy); Assert.NotNull(r.TypeMacroF1); });
        Assert.All(rows.Where(r => r.Name.EndsWith("/search")), r => Assert.NotNull(r.Mrr));
    }
}
