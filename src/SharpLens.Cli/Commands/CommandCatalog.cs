// The list of `sharplens` subcommands. Add one line per command file.
using System.CommandLine;

namespace SharpLens.Cli.Commands;

internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return InspectCommand.Create();
        yield return RunCommand.Create();
        yield return VerifyCommand.Create();
        yield return TokenizeCommand.Create();
        yield return DataCommand.Create();
        yield return SsmKernelsCommand.Create();
        yield return TrainCommand.Create();
        yield return FinetuneCommand.Create();
        yield return TokenizerCommand.Create();
        yield return ProbeCommand.Create();
        yield return ParensCommand.Create();
        yield return ParensDynamicsCommand.Create();
        yield return MergeCommand.Create();
        yield return SlurmCommand.Create();
        yield return LensCommand.Create();
        yield return AttributeCommand.Create();
        yield return PatchCommand.Create();
        yield return SsmStudyCommand.Create();
        yield return SsmSizesCommand.Create();
        yield return CardCommand.Create();
        yield return InfoCommand.Create();
    }
}
