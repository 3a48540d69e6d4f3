// The `sharplens` root command and its one error path: every command's action runs inside ErrorPath, parse errors are one line.
using System.CommandLine;
using System.CommandLine.Invocation;
using SharpLens.Loading;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

/// <summary>
/// Builds the root command from <see cref="CommandCatalog"/> and wraps the action of every command in it (found by walking
/// the tree, so commands added later are covered without a line of their own). Exit codes: 0 success, 1 a check that
/// ran and failed (e.g. verify), 2 bad input (one <c>error: …</c> line on stderr), 70 a bug (<c>internal error: …</c>;
/// the stack trace only with <c>--verbose</c>), 130 stopped by the user.
/// </summary>
internal static class CliApp
{
    public const int BadInput = 2;
    public const int InternalError = 70;

    /// <summary>The global <c>--verbose</c> option: stack traces for internal errors.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Print the stack trace of internal errors", Recursive = true };

    public static RootCommand Build() => Build(CommandCatalog.All());

    /// <summary>The root over <paramref name="commands"/>, every action wrapped (tests add commands of their own).</summary>
    public static RootCommand Build(IEnumerable<Command> commands)
    {
        var root = new RootCommand("SharpLens — open up code language models (Transformers and state-space models).");
        root.Options.Add(Verbose);
        foreach (var command in commands)
            root.Subcommands.Add(command);
        Wrap(root);
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; messages go to <paramref name="stderr"/> (default Console.Error).</summary>
    public static int Run(string[] args, TextWriter? stderr = null) => Invoke(Build(), args, stderr);

    public static int Invoke(RootCommand root, string[] args, TextWriter? stderr = null)
    {
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            var err = stderr ?? Console.Error;
            var command = parse.CommandResult.Command;
            var messages = parse.Errors.Select(e => Describe(e.Message, parse).TrimEnd('.')).Distinct().ToList();
            if (messages.Count == 0) messages.Add("the command line could not be parsed");
            // "Unrecognized …" names the offending token; System.CommandLine lists it after the generic complaints.
            messages = [.. messages.OrderBy(m => m.StartsWith("Unrecognized", StringComparison.Ordinal) ? 0 : 1)];
            err.WriteLine($"error: {OneLine(string.Join("; ", messages))} (see '{CommandPath(command, root)} --help')");
            return BadInput;
        }
        // The default exception handler would print a stack trace and return 1; ErrorPath handles everything itself.
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (stderr is not null) config.Error = stderr;
        return parse.Invoke(config);
    }

    /// <summary>System.CommandLine's "Required argument missing" does not say which; name the positional arguments left empty.</summary>
    static string Describe(string message, ParseResult parse)
    {
        if (!message.StartsWith("Required argument missing", StringComparison.Ordinal)) return message;
        var missing = parse.CommandResult.Command.Arguments.Where(a => parse.GetResult(a) is null or { Tokens.Count: 0 }).Select(a => $"<{a.Name}>");
        return $"missing argument {string.Join(" ", missing)} for '{parse.CommandResult.Command.Name}'";
    }

    /// <summary>Replaces the action of <paramref name="command"/> and of every command below it by <see cref="ErrorPath"/>.</summary>
    static void Wrap(Command command)
    {
        if (command.Action is SynchronousCommandLineAction inner and not ErrorPath) command.Action = new ErrorPath(inner);
        else if (command.Action is AsynchronousCommandLineAction) throw new InvalidOperationException($"command '{command.Name}' has an async action; use SetAction(Func<ParseResult, int>)");
        foreach (var sub in command.Subcommands) Wrap(sub);
    }

    /// <summary>Exceptions that mean bad input (exit 2); anything else is a bug (exit 70).</summary>
    public static bool IsExpected(Exception e) => e is UsageException or IOException or InvalidDataException or NotSupportedException
        or CheckpointFormatException or CheckpointLoadException or CheckpointMismatchException or Nn.ParameterBudgetException
        or ArgumentException or KeyNotFoundException
        or UnauthorizedAccessException or FormatException or System.Text.Json.JsonException or InvalidOperationException;

    /// <summary>The exception's message without .NET's " (Parameter 'x')" suffix, which names a C# parameter, not an input.</summary>
    static string Message(Exception e) =>
        e is ArgumentException { ParamName: { } p } && e.Message.EndsWith($" (Parameter '{p}')", StringComparison.Ordinal)
            ? e.Message[..^$" (Parameter '{p}')".Length] : e.Message;

    /// <summary>Messages are one line, whatever the exception text holds.</summary>
    public static string OneLine(string message) =>
        string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    static string CommandPath(Command command, RootCommand root)
    {
        var names = new List<string>();
        for (var c = command; c is not null && c != root; c = Parent(root, c)) names.Insert(0, c.Name);
        return string.Join(" ", names.Prepend("sharplens"));
    }

    static Command? Parent(Command from, Command target)
    {
        foreach (var sub in from.Subcommands)
        {
            if (sub == target) return from;
            if (Parent(sub, target) is { } p) return p;
        }
        return null;
    }

    /// <summary>The wrapper around one command's action: expected failures → one <c>error:</c> line, exit 2; bugs → exit 70.</summary>
    internal sealed class ErrorPath(SynchronousCommandLineAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var err = parseResult.InvocationConfiguration.Error;
            try { return inner.Invoke(parseResult); }
            catch (Exception e) when (IsExpected(e))
            {
                err.WriteLine("error: " + OneLine(Message(e)));
                return BadInput;
            }
            catch (Exception e)
            {
                err.WriteLine($"internal error: {e.GetType().Name}: {OneLine(e.Message)} (please report it; --verbose shows where)");
                if (parseResult.GetValue(Verbose)) err.WriteLine(e.ToString());
                return InternalError;
            }
        }
    }
}
