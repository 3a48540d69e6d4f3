// The list of `sharplens` subcommands. Add one line per command file.
using System.CommandLine;

namespace SharpLens.Cli.Commands;

internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return TokenizeCommand.Create();
        yield return TokenizerCommand.Create();
        yield break;
    }
}
