// The CLI's one error path: every command in the catalog is wrapped, parse errors are one line, bugs exit 70.
using System.CommandLine;
using SharpLens.Cli.Commands;

namespace SharpLens.Tests.Cli;

public sealed class ErrorPathTests
{
    static IEnumerable<(string Path, Command Command)> Walk(Command c, string path)
    {
        yield return (path, c);
        foreach (var sub in c.Subcommands)
            foreach (var x in Walk(sub, path + " " + sub.Name)) yield return x;
    }

    static List<(string Path, Command Command)> Leaves() =>
        Walk(CliApp.Build(), "sharplens").Where(x => x.Command.Subcommands.Count == 0).ToList();

    public static TheoryData<string> LeafCommands() => new(Leaves().Select(x => x.Path));

    [Fact]
    public void Every_command_in_the_catalog_runs_inside_the_error_path()
    {
        var leaves = Leaves();
        Assert.True(leaves.Count >= 12, $"expected every catalog command, found {leaves.Count}");
        foreach (var (path, command) in Walk(CliApp.Build(), "sharplens").Skip(1))
            if (command.Action is not null || command.Subcommands.Count == 0)
                Assert.True(command.Action is CliApp.ErrorPath, $"{path}: action is {command.Action?.GetType().Name ?? "none"}, expected the central ErrorPath");
    }

    [Theory]
    [MemberData(nameof(LeafCommands))]
    public void Every_command_refuses_an_unknown_option_with_one_line_and_a_help_pointer(string path)
    {
        var command = Leaves().Single(x => x.Path == path).Command;
        // positional arguments first: an unknown option in their place would be taken as their value
        var args = path.Split(' ').Skip(1).Concat(command.Arguments.Select(_ => "x")).Append("--no-such-option").ToArray();
        var (code, stderr) = Support.Cli.Run(args);
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.EndsWith($"(see '{path} --help')", line.TrimEnd());
    }

    static (int Code, string Stderr) RunWith(Command extra, params string[] args)
    {
        var err = new StringWriter();
        return (CliApp.Invoke(CliApp.Build([extra]), args, err), err.ToString());
    }

    static Command Throwing(string name, Exception e)
    {
        var group = new Command(name);
        var leaf = new Command("now");
        leaf.SetAction(new Func<ParseResult, int>(_ => throw e));
        group.Subcommands.Add(leaf);
        return group;
    }

    [Fact]
    public void A_command_added_later_is_covered_expected_failures_are_one_line_exit_2()
    {
        var (code, stderr) = RunWith(Throwing("late", new InvalidDataException("cfg.json: key 'x'\nshould be 1, found 2")), "late", "now");
        Assert.Equal(2, code);
        Assert.Equal("error: cfg.json: key 'x' should be 1, found 2", stderr.TrimEnd());
        (code, stderr) = RunWith(Throwing("late", new ArgumentOutOfRangeException("options", "vocab must be ≥ 3, found 1")), "late", "now");
        Assert.Equal("error: vocab must be ≥ 3, found 1", stderr.TrimEnd());   // no " (Parameter 'options')"
    }

    [Fact]
    public void Bugs_print_internal_error_exit_70_and_the_stack_only_with_verbose()
    {
        var bug = Throwing("late", new NullReferenceException("boom"));
        var (code, stderr) = RunWith(bug, "late", "now");
        Assert.Equal(70, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("internal error: NullReferenceException: boom", line);
        Assert.DoesNotContain(" at ", stderr);
        (code, stderr) = RunWith(Throwing("late", new NullReferenceException("boom")), "late", "now", "--verbose");
        Assert.Equal(70, code);
        Assert.Contains(" at ", stderr);
    }

    [Fact]
    public void Parse_errors_exit_2_with_one_line_and_help_still_works()
    {
        var (code, stderr) = Support.Cli.Run("run", "somewhere", "--top-k", "many");
        Assert.Equal(2, code);
        Assert.Matches(@"^error: .*many.*\(see 'sharplens run --help'\)\s*$", stderr);
        (code, stderr) = Support.Cli.Run();
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", stderr);
        (code, _) = Support.Cli.Run("data", "parens", "--help");
        Assert.Equal(0, code);
    }
}
