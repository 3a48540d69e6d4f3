// Runs `sharplens` commands in-process (same root, parser, actions and error path as the executable).
using SharpLens.Cli.Commands;

namespace SharpLens.Tests.Support;

public static class Cli
{
    static readonly object Gate = new();

    /// <summary>Invokes the CLI with args; returns the exit code and what it wrote to stderr.</summary>
    public static (int Code, string Stderr) Run(params string[] args)
    {
        lock (Gate)
        {
            var err = new StringWriter();
            var old = Console.Error;
            Console.SetError(err);
            try { return (CliApp.Run(args, err), err.ToString()); }
            finally { Console.SetError(old); }
        }
    }
}
