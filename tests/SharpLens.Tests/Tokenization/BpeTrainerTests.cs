// BpeTrainer: trains on a small generated corpus, saves HF files, and Tokenizer.Load reads them back exactly.
using SharpLens.Cli.Commands;
using SharpLens.Tests.Support;
using SharpLens.Tokenization;

namespace SharpLens.Tests.Tokenization;

public sealed class BpeTrainerTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sharplens-bpe-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static List<string> Corpus()
    {
        var rng = new Random(3);
        var syllables = new[] { "ka", "lo", "mi", "ne", "tu", "ra", "si", "po", "de", "fa", "gu", "zo" };
        string Name() => string.Concat(Enumerable.Range(0, 1 + rng.Next(4)).Select(_ => syllables[rng.Next(syllables.Length)]));
        var docs = new List<string>();
        for (int d = 0; d < 200; d++)
        {
            var sb = new System.Text.StringBuilder();
            for (int line = 0; line < 30; line++)
            {
                int depth = 1 + rng.Next(4);
                sb.Append(new string(' ', 4 * rng.Next(3))).Append(Name()).Append(" = ").Append(Name()).Append('(');
                for (int k = 1; k < depth; k++) sb.Append("str(");
                sb.Append(rng.Next(100000)).Append(new string(')', depth)).Append("  # héllo ").Append(Name()).Append(" 😀\n");
            }
            docs.Add(sb.ToString());
        }
        return docs;
    }

    [Fact]
    public void Trained_tokenizer_round_trips_and_reloads_identically()
    {
        var docs = Corpus();
        var trained = new BpeTrainer(new BpeTrainerOptions { VocabSize = 400 }).Train(docs);
        Assert.Equal(400, trained.Tokens.Count);
        trained.Save(dir);
        var tok = Tokenizer.Load(dir);
        Assert.Equal(400, tok.VocabSize);
        for (int id = 0; id < 400; id++) Assert.Equal(trained.Tokens[id], tok.IdToToken(id));
        Assert.Equal(0, tok.BosId);
        Assert.Equal(0, tok.EosId);
        Assert.Equal(1, tok.PadId);
        foreach (var doc in docs.Take(20).Append("x = 'ünïcødé' + \"日本\" 🙂\t\r\n<|endoftext|>"))
        {
            var e = tok.Encode(doc);
            Assert.Equal(doc, tok.Decode(e.Ids));
            Assert.Null(OffsetChecks.Check(doc, e));
        }
        // The special token is matched in text; decode can skip it.
        var s = tok.Encode("a<|endoftext|>b");
        Assert.Contains(0, s.Ids);
        Assert.Equal("ab", tok.Decode(s.Ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Digits_are_split_and_paren_runs_become_single_tokens()
    {
        var trained = new BpeTrainer(new BpeTrainerOptions { VocabSize = 400 }).Train(Corpus());
        Assert.DoesNotContain(trained.Tokens, t => t.Length > 1 && t.All(char.IsAsciiDigit));
        Assert.Contains("))))", trained.Tokens);
        trained.Save(dir);
        var tok = Tokenizer.Load(dir);
        var e = tok.Encode("print(str(str(str(486))))");
        Assert.Equal("))))", e.Tokens[^1]);
        Assert.Equal(["4", "8", "6"], e.Tokens.Skip(e.Count - 4).Take(3));
    }

    [Fact]
    public void Training_is_deterministic()
    {
        var a = new BpeTrainer(new BpeTrainerOptions { VocabSize = 350 }).Train(Corpus());
        var b = new BpeTrainer(new BpeTrainerOptions { VocabSize = 350 }).Train(Corpus());
        Assert.Equal(a.Tokens, b.Tokens);
        Assert.Equal(a.Merges, b.Merges);
    }

    [Fact]
    public void Cli_train_writes_hf_files_and_rejects_bad_arguments()
    {
        var corpus = Path.Combine(dir, "corpus");
        Directory.CreateDirectory(Path.Combine(corpus, "sub"));
        var docs = Corpus();
        for (int i = 0; i < 20; i++) File.WriteAllText(Path.Combine(corpus, i % 2 == 0 ? "sub" : "", $"f{i}.py"), docs[i]);
        var outDir = Path.Combine(dir, "tok");
        var stdout = new StringWriter();
        Assert.Equal(0, TokenizerCommand.Train(corpus, "*.py", 300, outDir, 2, false, stdout));
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" }) Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        Assert.Equal(300, Tokenizer.Load(outDir).VocabSize);
        Assert.Equal(2, Tokenizer.Load(outDir).TokenToId("<mask>"));      // masked-LM training needs a mask token
        Assert.Contains("\"mask_token\": \"<mask>\"", File.ReadAllText(Path.Combine(outDir, "special_tokens_map.json")));
        Assert.Contains("trained 300 tokens", stdout.ToString());

        string Refused(params string[] args)
        {
            var (code, err) = Support.Cli.Run(["tokenizer", "train", .. args]);
            Assert.Equal(2, code);
            return err;
        }
        Refused("--corpus", Path.Combine(dir, "missing"), "--vocab", "300", "--out", outDir);
        Refused("--corpus", corpus, "--glob", "*.rs", "--vocab", "300", "--out", outDir);
        Assert.Contains("--vocab must be in [262, 1048576], found 100", Refused("--corpus", corpus, "--vocab", "100", "--out", outDir));   // 256 bytes + <|endoftext|>, <pad>, <mask> + forced )), ))), ))))
        File.WriteAllBytes(Path.Combine(corpus, "z.py"), [0x61, 0x62, 0xC3]);   // truncated 2-byte sequence
        Assert.Contains("z.py: invalid UTF-8 at byte offset 2", Refused("--corpus", corpus, "--vocab", "300", "--out", Path.Combine(dir, "tok2")));
        Assert.False(Directory.Exists(Path.Combine(dir, "tok2")));
        Assert.Equal(0, Support.Cli.Run("tokenizer", "train", "--corpus", corpus, "--vocab", "300", "--out", Path.Combine(dir, "tok2"), "--lossy").Code);   // 256 bytes + <|endoftext|>, <pad>, <mask>
    }
}
