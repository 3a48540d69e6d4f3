// `sharplens info`: what this installation computes with — versions, CPU features, torch threads, memory allocator.
using System.CommandLine;
using System.Reflection;

namespace SharpLens.Cli.Commands;

internal static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Versions, CPU bf16 support, torch threads and the memory allocator this installation runs with.");
        cmd.SetAction(_ =>
        {
            var version = typeof(SharpLens.HookedModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"sharplens   {version}");
            Console.WriteLine($".NET        {Environment.Version}");
            Console.WriteLine($"TorchSharp  {typeof(TorchSharp.torch).Assembly.GetName().Version}");
            Console.WriteLine($"CPUs        {Environment.ProcessorCount} available; torch threads {TorchSharp.torch.get_num_threads()}");
            Console.WriteLine($"bf16        {(SharpLens.Nn.Precision.CpuHasNativeBf16 ? "native (AVX512-BF16/AMX): train --precision auto uses bf16" : "emulated: train --precision auto uses fp32")}");
            Console.WriteLine($"allocator   {Allocator.Describe()}");
            return 0;
        });
        return cmd;
    }
}
