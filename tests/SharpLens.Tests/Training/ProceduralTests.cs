// Procedural warm-up: Dyck and copy generators, their place in the data stream, and the study template kept out.
using SharpLens.Training;

namespace SharpLens.Tests.Training;

public class ProceduralTests
{
    [Fact]
    public void Dyck_words_are_balanced_nested_at_most_8_and_use_several_bracket_kinds()
    {
        var rng = new SplitMix64(3);
        var kinds = new HashSet<char>();
        int deepest = 0;
        for (int n = 0; n < 2000; n++)
        {
            var stack = new Stack<char>();
            foreach (var c in Procedural.DyckText(ref rng))
            {
                if ("([{".Contains(c)) { stack.Push(c); kinds.Add(c); deepest = Math.Max(deepest, stack.Count); }
                else if (")]}".Contains(c)) Assert.Equal("([{"[")]}".IndexOf(c)], stack.Pop());
            }
            Assert.Empty(stack);
        }
        Assert.Equal(3, kinds.Count);
        Assert.Equal(8, deepest);
    }

    [Fact]
    public void Copy_sequences_repeat_their_span_and_only_the_copy_carries_a_loss()
    {
        using var run = new TinyRun();
        var gen = new Procedural(run.Tokenizer);
        var rng = new SplitMix64(9);
        var (ids, learn) = gen.Sequence("copy", ref rng, 256);
        int marker = run.Tokenizer.PadId ?? run.Tokenizer.Separator;
        int m = Array.IndexOf(ids, marker);
        Assert.True(m >= 4, "the first sample starts with a span of at least 4 ids");
        for (int i = 0; i < m; i++) Assert.Equal(ids[i], ids[m + 1 + i]);       // the span, then the same span
        for (int i = 0; i < m; i++) Assert.False(learn[i], $"position {i} predicts a random id or the marker but carries a loss");
        Assert.True(learn[m], "the marker position predicts the first copied id");
        for (int i = m; i < 2 * m; i++) Assert.True(learn[i]);
    }

    [Fact]
    public void Generators_never_emit_the_study_template()
    {
        using var run = new TinyRun();
        var gen = new Procedural(run.Tokenizer);
        var text = new System.Text.StringBuilder();
        for (int s = 0; s < 400; s++)
            foreach (var kind in ProceduralMix.Kinds)
            {
                var rng = new SplitMix64(SplitMix64.Mix(s, kind.Length));
                text.Append(run.Tokenizer.Decode!(gen.Sequence(kind, ref rng, 256).Ids)).Append('\n');
            }
        var all = text.ToString();
        Assert.True(all.Length > 100_000, $"sample too small: {all.Length} chars");
        foreach (var f in Procedural.Forbidden) Assert.DoesNotContain(f, all);
        Assert.Contains("))", all);                                          // closing runs are in the warm-up
    }

    [Fact]
    public void Warm_up_is_front_loaded_deterministic_and_then_the_corpus_starts_from_its_beginning()
    {
        using var run = new TinyRun();
        var mix = ProceduralMix.ParseList("dyck:0.1,copy:0.05");
        var plain = new DataStream(run.Cache, 32, 4, 11, Objective.Clm, run.Tokenizer);
        var warm = new DataStream(run.Cache, 32, 4, 11, Objective.Clm, run.Tokenizer, mix, totalSteps: 100);
        var again = new DataStream(run.Cache, 32, 4, 11, Objective.Clm, run.Tokenizer, mix, totalSteps: 100);
        Assert.Equal(15, warm.ProceduralSteps);
        for (int s = 0; s < 15; s++) Assert.Equal(warm.BatchAt(s).InputIds, again.BatchAt(s).InputIds);
        Assert.NotEqual(plain.BatchAt(0).InputIds, warm.BatchAt(0).InputIds);
        Assert.Equal(plain.BatchAt(0).InputIds, warm.BatchAt(15).InputIds);
        Assert.Equal(plain.BatchAt(7).Labels, warm.BatchAt(22).Labels);
        Assert.Contains(warm.BatchAt(3).Labels, l => l == DataStream.IgnoreIndex);  // copy spans carry no loss (kinds are mixed per sequence)
    }

    [Theory]
    [InlineData("dyck", "KIND:FRACTION")]
    [InlineData("fractal:0.1", "unknown")]
    [InlineData("dyck:0", "(0, 1)")]
    [InlineData("dyck:1", "(0, 1)")]
    [InlineData("dyck:x", "(0, 1)")]
    [InlineData("dyck:0.1,dyck:0.2", "twice")]
    [InlineData("dyck:0.6,copy:0.5", "less than 1")]
    public void Bad_procedural_specs_are_refused(string spec, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ProceduralMix.ParseList(spec));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Calls_lines_are_balanced_nested_calls_without_the_template_callees()
    {
        var rng = new SplitMix64(5);
        int deepest = 0, lines = 0;
        var runs = new HashSet<int>();
        for (int n = 0; n < 3000; n++)
        {
            var text = Procedural.CallsText(ref rng);
            Assert.EndsWith("\n", text);
            foreach (var line in text.TrimEnd('\n').Split('\n'))
            {
                lines++;
                int depth = 0, run = 0;
                foreach (var c in line)
                {
                    if (c == '(') { depth++; deepest = Math.Max(deepest, depth); run = 0; }
                    else if (c == ')') { depth--; run++; Assert.True(depth >= 0, $"unbalanced: {line}"); }
                    else if (run > 0) { runs.Add(run); run = 0; }
                }
                if (run > 0) runs.Add(run);
                Assert.Equal(0, depth);
                Assert.DoesNotMatch(@"(^|[^\w.])(print|str)\(", line);            // the template's callees never appear
            }
        }
        Assert.True(lines > 5000, $"only {lines} lines");
        Assert.Equal(7, deepest);                                            // depth 6, plus out.append( around it
        for (int r = 1; r <= 6; r++) Assert.Contains(r, runs);               // closing runs of every length 1–6
    }

    [Fact]
    public void Calls_copy_binds_a_literal_then_nests_calls_around_the_same_literal_or_its_name()
    {
        var rng = new SplitMix64(9);
        var lengths = new HashSet<int>();
        int copies = 0, later = 0;
        for (int n = 0; n < 2000; n++)
        {
            var lines = Procedural.CallsCopyText(ref rng).TrimEnd('\n').Split('\n');
            Assert.InRange(lines.Length, 2, 4);
            var m = System.Text.RegularExpressions.Regex.Match(lines[0], @"^( *)([\w.]+) = (\d+|'[a-z]+')$");
            Assert.True(m.Success, $"first line is not NAME = LITERAL: {lines[0]}");
            var (name, literal) = (m.Groups[2].Value, m.Groups[3].Value);
            if (char.IsDigit(literal[0])) { lengths.Add(literal.Length); Assert.NotEqual('0', literal[0]); }
            foreach (var line in lines.Skip(1))
            {
                later++;
                Assert.StartsWith(m.Groups[1].Value, line);                           // the block's indentation
                // the innermost call's argument: after the last '(' up to the first ')' or ','
                var inner = line[(line.LastIndexOf('(') + 1)..].Split(')', ',')[0];
                Assert.True(inner == literal || inner == name, $"innermost argument '{inner}' is neither {literal} nor {name}: {line}");
                if (inner == literal) copies++;
                Assert.Equal(line.Count(c => c == '('), line.Count(c => c == ')'));
                Assert.DoesNotMatch(@"(^|[^\w.])(print|str)\(", line);
            }
        }
        Assert.Equal([1, 2, 3, 4, 5], lengths.Order());                              // every number length occurs
        Assert.InRange(copies / (double)later, 0.6, 0.8);                               // the literal 70 %, its name otherwise
        var a = new SplitMix64(3); var b = new SplitMix64(3);
        Assert.Equal(Procedural.CallsCopyText(ref a), Procedural.CallsCopyText(ref b));    // deterministic in the seed
        Assert.Contains("calls-copy", ProceduralMix.Kinds);
    }

    [Fact]
    public void Nest_copy_names_a_literal_then_nests_calls_of_every_depth_around_it_without_the_template_chains()
    {
        var rng = new SplitMix64(21);
        var depths = new int[7];
        int printOrStr = 0, comments = 0;
        for (int n = 0; n < 3000; n++)
        {
            var text = Procedural.NestCopyText(ref rng);
            foreach (var f in Procedural.Forbidden) Assert.DoesNotContain(f, text);
            Assert.DoesNotContain("str(str(", text);
            var lines = text.TrimEnd('\n').Split('\n');
            Assert.InRange(lines.Length, 2, 4);
            var m = System.Text.RegularExpressions.Regex.Match(lines[0], @"^( *)(?:[\w.]+ =|# [a-z ]+) ([1-9]\d{0,4})$");
            Assert.True(m.Success, $"first line neither NAME = N nor a comment naming N: {lines[0]}");
            if (lines[0].TrimStart().StartsWith('#')) comments++;
            var literal = m.Groups[2].Value;
            foreach (var line in lines.Skip(1))
            {
                Assert.StartsWith(m.Groups[1].Value, line);
                var inner = line[(line.LastIndexOf('(') + 1)..].Split(')', ',')[0];
                Assert.Equal(literal, inner);                                            // always the literal
                Assert.Equal(line.Count(c => c == '('), line.Count(c => c == ')'));
                // nesting depth: the opening parens before the literal, less a wrapper like out.append(
                int opens = line[..line.LastIndexOf('(')].Count(c => c == '(') + 1 - (line.TrimStart().StartsWith("out.append(") ? 1 : 0);
                depths[opens]++;
                if (System.Text.RegularExpressions.Regex.IsMatch(line, @"(^|[^\w.])(print|str)\(")) printOrStr++;
            }
        }
        for (int d = 1; d <= 6; d++) Assert.InRange(depths[d], 500, 1700);              // uniform 1–6 (≈ 1,000 each)
        Assert.True(printOrStr > 1000, $"print/str callees in {printOrStr} lines");
        Assert.InRange(comments, 1200, 1800);                                             // half the samples name it in a comment
        var a = new SplitMix64(3); var b = new SplitMix64(3);
        Assert.Equal(Procedural.NestCopyText(ref a), Procedural.NestCopyText(ref b));
        Assert.Contains("nest-copy", ProceduralMix.Kinds);
    }

    // The shipped models' runs are regenerated from run.json: each text generator's output for a seed is frozen.
    [Theory]
    [InlineData("dyck", "17ADC229E1B498727E3CB52C27C29EF074C905F7137B803C1F33504138FF8B0B")]
    [InlineData("calls", "985A5C39712FD2A4A855D5FD0D354E5498CB6B71761F6109CC7AEF0E78BFF430")]
    [InlineData("calls-copy", "32910499A3F536657EAC4984487D1B832EBBFFB013257A0966C35E1B1CF186E1")]
    [InlineData("nest-copy", "ECD5AB5D4E899CB4656913828BC658A5CB8FE0730751D884D752E415615290EB")]
    public void Text_generators_are_frozen_for_a_seed(string kind, string sha256)
    {
        var rng = new SplitMix64(7);
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < 300; i++)
            text.Append(kind switch
            {
                "dyck" => Procedural.DyckText(ref rng),
                "calls" => Procedural.CallsText(ref rng),
                "calls-copy" => Procedural.CallsCopyText(ref rng),
                _ => Procedural.NestCopyText(ref rng),
            }).Append('\u0000');
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())));
        Assert.True(hash == sha256, $"{kind} generated {hash}, expected {sha256}");
    }

    [Fact]
    public void Spread_schedule_interleaves_procedural_sequences_evenly_and_keeps_the_corpus_order()
    {
        using var run = new TinyRun();
        var mix = ProceduralMix.ParseList("calls:0.25");
        var plain = new DataStream(run.Cache, 32, 4, 11, Objective.Clm, run.Tokenizer);
        var spread = new DataStream(run.Cache, 32, 4, 11, Objective.Clm, run.Tokenizer, mix, totalSteps: 100, ProceduralSchedule.Spread);
        Assert.Equal(0, spread.ProceduralSteps);
        // Sequences 3, 7, 11, … (⌊(g+1)/4⌋ > ⌊g/4⌋) are procedural; the other three of each four are corpus sequences in order.
        var corpus = Enumerable.Range(0, 10).SelectMany(s => Rows(plain.BatchAt(s).InputIds)).ToList();
        var mixed = Enumerable.Range(0, 10).SelectMany(s => Rows(spread.BatchAt(s).InputIds)).ToList();
        int c = 0;
        for (int g = 0; g < 40; g++)
        {
            if (g % 4 == 3) Assert.DoesNotContain(mixed[g], corpus);
            else Assert.Equal(corpus[c++], mixed[g]);
        }
        Assert.Equal(ProceduralMix.Format(mix) + "@spread", ProceduralMix.Format(mix, ProceduralSchedule.Spread));
        Assert.Throws<ArgumentException>(() => ProceduralMix.ParseSchedule("later"));

        static IEnumerable<string> Rows(long[] ids) => ids.Chunk(32).Select(r => string.Join(",", r));
    }
}
