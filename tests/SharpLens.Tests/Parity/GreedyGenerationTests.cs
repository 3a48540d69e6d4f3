// stories260K (real weights) greedy continuations equal llama2.c run.c's, id for id.
using System.Text.Json;
using SharpLens.Loading;
using SharpLens.Tests.Support;

namespace SharpLens.Tests.Parity;

public class GreedyGenerationTests
{
    [FixtureFact]
    public void Stories260K_greedy_output_matches_run_c()
    {
        var dir = Fixtures.Model("stories260K");
        using var model = ModelLoader.Load(dir);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "greedy.json")));
        int n = doc.RootElement.GetProperty("n_generated").GetInt32();
        int cases = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var prompt = c.GetProperty("prompt_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var expected = c.GetProperty("generated_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var got = Generation.Greedy(model, prompt, n);
            Assert.Equal(expected, got);
            cases++;
        }
        Assert.Equal(3, cases);
    }
}
