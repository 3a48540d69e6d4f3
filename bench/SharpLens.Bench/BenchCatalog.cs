// The benchmarks this project runs, by name. Each returns a process exit code.
namespace SharpLens.Bench;

internal static class BenchCatalog
{
    public static Dictionary<string, Func<string[], int>> All() => new()
    {
        ["core"] = CoreBench.Run,
        ["code"] = CodeBench.Run,
        ["train"] = TrainBench.Run,
        ["scan"] = ScanBench.Run,
        ["tokenizers"] = TokenizerBench.Run,
        ["parens-7b"] = ParensMemoryBench.Run,
        ["directprobe"] = DirectProbeBench.Run,
        ["peer"] = PeerBench.Run,
        ["peer-run"] = PeerBench.RunSide,
        ["activations"] = ActivationsBench.Run,
    };
}
