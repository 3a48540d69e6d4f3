// `sharplens data probe-pairs`: token-pair datasets for the SSM-Interpret probing tasks (placeholder until wired).
using System.CommandLine;

namespace SharpLens.Cli.Commands;

internal static class DataProbePairsCommand
{
    public static Command Create() => new("probe-pairs", "Syntax probe pairs (ast-distance | sibling | dataflow).");
}
