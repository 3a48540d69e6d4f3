// SharpLens benchmarks: `dotnet run -c Release --project bench/SharpLens.Bench -- <name>`; results go to docs/benchmarks.md.
using SharpLens.Bench;

var registry = BenchCatalog.All();
if (args.Length == 0 || !registry.ContainsKey(args[0]))
{
    Console.Error.WriteLine("usage: SharpLens.Bench <" + string.Join("|", registry.Keys) + "> [options]");
    return args.Length == 0 ? 0 : 2;
}
return registry[args[0]](args.Skip(1).ToArray());
