// Entry point of the `sharplens` CLI: one file per command under Commands/, each thin over the library.
using System.CommandLine;
using SharpLens.Cli.Commands;

var root = new RootCommand("SharpLens — open up code language models (Transformers and state-space models).");
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
