// One torch thread count for the whole test run, set before any test starts.
using System.Runtime.CompilerServices;

namespace SharpLens.Tests.Support;

/// <summary>
/// xUnit runs test classes in parallel; the trainer and fine-tuner set torch's process-wide intra-op thread count, and
/// changing it while another test is inside a parallel kernel is a race (a rare parity failure was seen). Every test
/// that trains asks for one thread, so the assembly starts with one and no test changes it afterwards.
/// </summary>
internal static class TorchThreads
{
    [ModuleInitializer]
    internal static void OneThread() => TorchSharp.torch.set_num_threads(1);
}
