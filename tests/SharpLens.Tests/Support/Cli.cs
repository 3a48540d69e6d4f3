// Runs `sharplens` commands in-process (same parser and actions as the executable).
using System.CommandLine;
using SharpLens.Cli.Commands;

namespace SharpLens.Tests.Support;

public static class Cli
{
    static readonly object Gate = new();

    /// <summary>Invokes the CLI with args; returns the exit code and what it wrote to stderr.</summary>
    public static (int Code, string Stderr) Run(params string[] args)
    {
        var root = new RootCommand("sharplens");
        foreach (var c in CommandCatalog.All()) root.Subcommands.Add(c);
        lock (Gate)
        {
            var err = new StringWriter();
            var old = Console.Error;
            Console.SetError(err);
            try { return (root.Parse(args).Invoke(), err.ToString()); }
            finally { Console.SetError(old); }
        }
    }
}
