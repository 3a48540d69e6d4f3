// Model cards and the scores table: every number comes from the folder's own files (an independent sum here).
using SharpLens.Loading;
using SharpLens.Tests.Support;
using SharpLens.Training;
using static TorchSharp.torch;

namespace SharpLens.Tests.Training;

public sealed class ModelCardTests
{
    static void Folder(string dir, bool finetuned)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"),
            finetuned ? """{"model_type":"roformer","architectures":["RoFormerForTokenClassification"],"num_hidden_layers":2,"hidden_size":8,"vocab_size":50,"id2label":{"1":"str","0":"int"}}"""
                      : """{"model_type":"BiGS","architectures":["BiGSForMaskedLM"],"num_hidden_layers":2,"hidden_size":8,"num_ssm":4,"vocab_size":50,"conv_kernel_size":4,"conv_merge":"sum"}""");
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), [("a", zeros(3, 5, dtype: ScalarType.BFloat16)), ("b", zeros(7))]);
        if (finetuned)
        {
            File.WriteAllText(Path.Combine(dir, "finetune_result.json"),
                """{"task":"TypeInference","train_examples":100,"test_examples":20,"final_loss":0.5,"labels":["int","str"],"test_tokens":40,"accuracy":0.75,"macro_f1":0.625,"wall":"00:01:02"}""");
            return;
        }
        File.WriteAllText(Path.Combine(dir, "run.json"),
            """{"objective":"mlm","seed":7,"steps":3,"batch":2,"seq_len":4,"tokens":24,"lr":0.001,"min_lr":0.0001,"warmup":1,"weight_decay":0.1,"beta1":0.9,"beta2":0.95,"clip":1,"init_std":0.02,"precision":"bf16","threads":1,"procedural":[],"corpus":{"manifest_sha256":"abc","tokens":48,"sources":[{"path":"/x/train.jsonl","glob":"jsonl:code","weight":1,"files":3,"tokens":48}]}}""");
        // 8 tokens per step at 4, 8 and 2 tokens/s: 2 + 1 + 4 = 7 s of steps; mean 24/7 tokens/s
        File.WriteAllText(Path.Combine(dir, "train_log.csv"), "step,tokens,loss,lr,tokens_per_s\n1,8,3.0,0.001,4\n2,16,2.0,0.001,8\n3,24,1.0,0.001,2\n");
        File.WriteAllText(Path.Combine(dir, "mlm_eval.json"),
            """{"rule":"the rule","seq_len":4,"seed":7,"files":[{"file":"/x/valid.jsonl","functions":5,"masked_tokens":30,"accuracy":0.4,"loss":2.5},{"file":"/x/test.jsonl","functions":6,"masked_tokens":33,"accuracy":0.5,"loss":2.25}]}""");
    }

    [Fact]
    public void A_pretrained_card_reads_every_number_from_the_folder()
    {
        using var dir = new TempDir();
        Folder(dir.File("codessm"), finetuned: false);
        var card = ModelCard.Render(dir.File("codessm"), ["CMD=1 run.sh"], "CodeSSM");
        Assert.StartsWith("# CodeSSM\n", card);
        Assert.Contains("| parameters | 22 (", card);                               // 3·5 + 7
        Assert.Contains("BF16 (1 tensors) + F32 (1 tensors)", card.Replace("F32 (1 tensors) + BF16 (1 tensors)", "BF16 (1 tensors) + F32 (1 tensors)"));
        Assert.Contains("layers 2, d_model 8, S4D modes (num_ssm) 4, parallel short-conv kernel 4, conv merge sum", card);
        Assert.Contains("```bash\nCMD=1 run.sh\n```", card);
        Assert.Contains("3 steps × 2 sequences × 4 tokens = 24 tokens", card);
        Assert.Contains("0.50 of the token cache", card);
        Assert.Contains("00:00:07 of training steps", card);
        Assert.Contains("mean 3 tokens/s", card);                                     // 24 / 7 = 3.43 → N0
        Assert.Contains("final loss | 2.0000 (mean of the last 3 steps", card);
        Assert.Contains("| `test.jsonl` | 6 | 33 | 50.00 % | 2.2500 |", card);
        Assert.DoesNotContain("Fine-tuning", card);
    }

    [Fact]
    public void A_finetuned_card_shows_its_head_and_scores_and_the_table_its_row()
    {
        using var dir = new TempDir();
        Folder(dir.File("ft"), finetuned: true);
        Folder(dir.File("pre"), finetuned: false);
        var card = ModelCard.Render(dir.File("ft"), []);
        Assert.StartsWith("# ft\n", card);
        Assert.Contains("2 classes: `int`, `str`", card);                              // id2label in label order
        Assert.Contains("| accuracy | 75.00 % over 40 labelled held-out tokens |", card);
        Assert.Contains("| macro-F1 | 62.50 %", card);
        Assert.DoesNotContain("## Training", card);
        Assert.DoesNotContain("How it was made", card);
        var table = ModelCard.ScoresTable([ModelCard.Scores("pre", dir.File("pre")), ModelCard.Scores("ft", dir.File("ft"))]).Split('\n');
        Assert.Equal("| pre | 22 | 50.0 | — | — | — |", table[2]);                   // MLM accuracy of the last file (test)
        Assert.Equal("| ft | 22 | — | 75.0 | 62.5 | — |", table[3]);
    }

    [Fact]
    public void A_folder_without_config_is_refused_and_a_malformed_file_named()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("empty"));
        Assert.Contains("expected a model folder with config.json", Assert.Throws<FileNotFoundException>(() => ModelCard.Render(dir.File("empty"), [])).Message);
        Folder(dir.File("bad"), finetuned: false);
        File.WriteAllText(dir.File("bad/mlm_eval.json"), "{not json");
        Assert.Contains("mlm_eval.json: expected a JSON object, found invalid JSON", Assert.Throws<InvalidDataException>(() => ModelCard.Render(dir.File("bad"), [])).Message);
    }
}
