// The list of `sharplens` subcommands. Add one line per command file.
using System.CommandLine;

namespace SharpLens.Cli.Commands;

internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return TrainCommand.Create();
    }
}
