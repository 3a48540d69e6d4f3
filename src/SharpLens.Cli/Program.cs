// Entry point of the `sharplens` CLI: one file per command under Commands/, each thin over the library; CliApp owns the
// error path. Where Debian's tcmalloc is installed the program first restarts itself under it (Allocator).
using SharpLens.Cli;
using SharpLens.Cli.Commands;

if (Allocator.Relaunch(args) is int code) return code;
return CliApp.Run(args);
