// A temporary folder deleted at the end of a test.
namespace SharpLens.Tests.Support;

public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sharplens-test-" + Guid.NewGuid().ToString("N")[..10]);
    public TempDir() => Directory.CreateDirectory(Path);
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Copies a fixture model folder's config.json and model.safetensors here.</summary>
    public TempDir WithModel(string fixture)
    {
        foreach (var f in new[] { "config.json", "model.safetensors" })
            System.IO.File.Copy(System.IO.Path.Combine(Fixtures.Model(fixture), f), File(f));
        return this;
    }

    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
