// Entry point of the `sharplens` CLI: one file per command under Commands/, each thin over the library; CliApp owns the error path.
using SharpLens.Cli.Commands;

return CliApp.Run(args);
