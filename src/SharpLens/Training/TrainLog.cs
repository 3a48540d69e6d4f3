// train_log.csv (step, tokens, loss, lr, tokens_per_s) and its loss-curve PNG.
using System.Globalization;
using SharpLens.Reports;

namespace SharpLens.Training;

/// <summary>One row of the training log.</summary>
internal sealed record TrainLogRow(long Step, long Tokens, double Loss, double Lr, double TokensPerSecond)
{
    /// <summary>The row as one CSV line without its newline (<see cref="Reports.Csv"/> conventions; tokens/s to 0.1).</summary>
    public string ToCsv() => Reports.Csv.Line([Step, Tokens, Loss, Lr, Math.Round(TokensPerSecond, 1)]).TrimEnd('\n');

    /// <summary>Reads a number written by <see cref="ToCsv"/> (an empty cell is NaN, inf/-inf are infinities).</summary>
    internal static double Number(string s) => s switch
    {
        "" => double.NaN, "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity,
        _ => double.Parse(s, CultureInfo.InvariantCulture),
    };
}

/// <summary>The CSV log of a run. On resume, rows after the checkpoint's step are dropped (they will be trained again).</summary>
internal sealed class TrainLog
{
    public const string Header = "step,tokens,loss,lr,tokens_per_s";
    readonly string path;
    readonly List<TrainLogRow> rows = new();

    public IReadOnlyList<TrainLogRow> Rows => rows;

    public TrainLog(string path, long keepUpToStep)
    {
        this.path = path;
        if (keepUpToStep > 0 && File.Exists(path))
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var f = line.Split(',');
                if (f.Length != 5) continue;
                var row = new TrainLogRow(long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture),
                    TrainLogRow.Number(f[2]), TrainLogRow.Number(f[3]), TrainLogRow.Number(f[4]));
                if (row.Step <= keepUpToStep) rows.Add(row);
            }
        AtomicFile.WriteText(path, string.Join("\n", rows.Select(r => r.ToCsv()).Prepend(Header)) + "\n");
    }

    public void Append(TrainLogRow row)
    {
        rows.Add(row);
        File.AppendAllText(path, row.ToCsv() + "\n");
    }

    /// <summary>Writes the loss curve (loss against tokens seen).</summary>
    public void SavePlot(string pngPath, string title)
    {
        if (rows.Count == 0) return;
        var plt = new ScottPlot.Plot();
        plt.Add.Scatter(rows.Select(r => (double)r.Tokens).ToArray(), rows.Select(r => r.Loss).ToArray());
        plt.Title(title);
        plt.XLabel("tokens seen");
        plt.YLabel("training loss (nats/token)");
        var tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(pngPath))!, "." + Path.GetFileName(pngPath) + ".tmp.png");
        plt.SavePng(tmp, 800, 500);
        File.Move(tmp, pngPath, overwrite: true);
    }
}
