// Temporary folders for tests that edit copies of fixtures (callers delete them when done).
using System.Text.Json.Nodes;

namespace SharpLens.Tests.Support;

/// <summary>A fresh temporary folder.</summary>
public static class TempFolders
{
    public static string Create()
    {
        var d = Path.Combine(Path.GetTempPath(), "sharplens-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>A copy of a model fixture (config edited, weights copied) in a fresh temporary folder.</summary>
    public static string CopyFixture(string fixture, Action<JsonObject> editConfig)
    {
        var src = Fixtures.Model(fixture);
        var dir = Create();
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(src, "config.json")))!;
        editConfig(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        File.Copy(Path.Combine(src, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        return dir;
    }
}
