// `sharplens card`: MODEL_CARD.md for a trained folder (ModelCard renders from the run's own files), or a scores table
// over a study manifest's folders.
using System.CommandLine;
using SharpLens.Analysis.SsmInterpret;
using SharpLens.Reports;
using SharpLens.Training;

namespace SharpLens.Cli.Commands;

internal static class CardCommand
{
    public static Command Create()
    {
        var cmd = new Command("card", "Write FOLDER/MODEL_CARD.md from what `train`/`finetune` left in the folder (config, run.json, train_log.csv, mlm_eval.json, finetune_result.json), or print a scores table over a study manifest (--scores).");
        var folders = new Argument<string[]>("folder") { Description = "Trained model folder(s)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Option<string[]>("--command") { Description = "The exact command(s) that made the folder, shown verbatim in the card (repeatable)" };
        var title = new Option<string?>("--title") { Description = "Card title (default: the folder name)" };
        var notes = new Option<string?>("--notes") { Description = "A Markdown file appended to the card as written" };
        var scores = new Option<string?>("--scores") { Description = "Print a Markdown scores table (MLM accuracy, type-inference accuracy/F1, code-search MRR) over this study manifest's folders, then the CodeSSM-HF − CodeSSM MRR delta" };
        // a variadic argument would take an unknown option as a folder name: refuse it as the parser does
        folders.Validators.Add(r =>
        {
            foreach (var t in r.Tokens.Where(t => t.Value.StartsWith('-')))
                r.AddError($"Unrecognized command or argument '{t.Value}'");
        });
        cmd.Arguments.Add(folders);
        foreach (var o in new Option[] { command, title, notes, scores }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var dirs = parse.GetValue(folders) ?? [];
            if (parse.GetValue(scores) is string manifestPath)
            {
                if (dirs.Length > 0) throw new UsageException($"--scores prints a table over the manifest's folders; expected no folder argument, found {dirs.Length}");
                var manifest = StudyManifest.Load(File.Exists(manifestPath) ? manifestPath : throw new UsageException($"--scores expects a study manifest file, found no file at {manifestPath}"));
                var rows = manifest.Entries.Select(e => ModelCard.Scores(e.Name, e.Directory)).ToList();
                Console.Write(ModelCard.ScoresTable(rows));
                double? Mrr(string role) => manifest.Find(role, "search") is ManifestEntry e ? rows.First(r => r.Name == e.Name).Mrr : null;
                if (Mrr("codessm") is double a && Mrr("codessm-hf") is double b)
                    Console.WriteLine($"\nThe fix (CodeSSM-HF − CodeSSM), code-search MRR: {100 * (b - a):+0.0;-0.0} points ({100 * a:0.0} → {100 * b:0.0}).");
                return 0;
            }
            if (dirs.Length == 0) throw new UsageException("expected a model folder (or --scores MANIFEST), found none");
            if (dirs.Length > 1 && parse.GetValue(title) is not null) throw new UsageException($"--title names one card; expected one folder, found {dirs.Length}");
            var notesText = parse.GetValue(notes) is string n ? File.ReadAllText(File.Exists(n) ? n : throw new UsageException($"--notes expects a Markdown file, found no file at {n}")) : null;
            var cards = dirs.Select(d => (Dir: Directory.Exists(d) ? d : throw new UsageException($"expected a model folder, found no folder at {d}"), Text: ModelCard.Render(d, parse.GetValue(command) ?? [], parse.GetValue(title), notesText))).ToList();
            foreach (var (dir, text) in cards)   // all rendered first: a bad folder writes nothing
            {
                AtomicFile.WriteText(Path.Combine(dir, "MODEL_CARD.md"), text);
                Console.WriteLine($"wrote {Path.Combine(dir, "MODEL_CARD.md")}");
            }
            return 0;
        });
        return cmd;
    }
}
