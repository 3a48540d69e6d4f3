// The one CSV writer: its convention for non-finite numbers, quoting and record headers.
using SharpLens.Reports;

namespace SharpLens.Tests.Reports;

public class CsvTests
{
    sealed record Row(string Name, double Value, float Single, int Count, bool Flag, double? Missing, int[] Skipped);

    [Fact]
    public void Non_finite_numbers_have_one_convention_and_text_is_quoted()
    {
        var csv = Csv.ToCsv([new Row("a,b", double.NaN, float.PositiveInfinity, 3, true, null, [1]), new Row("say \"hi\"", 0.1, -1.5f, -2, false, double.NegativeInfinity, [])]);
        Assert.Equal("name,value,single,count,flag,missing\n\"a,b\",,inf,3,true,\n\"say \"\"hi\"\"\",0.1,-1.5,-2,false,-inf\n", csv);
        Assert.Equal("1E-300,x\n", Csv.Line([1e-300, "x"]));
        Assert.Equal(0.1 + 0.2, double.Parse(Csv.Cell(0.1 + 0.2), System.Globalization.CultureInfo.InvariantCulture));   // round-trips
    }

    [Fact]
    public void The_training_log_uses_the_convention_and_reads_it_back_on_resume()
    {
        using var tmp = new SharpLens.Tests.Support.TempDir();
        var path = tmp.File("train_log.csv");
        var log = new SharpLens.Training.TrainLog(path, 0);
        log.Append(new SharpLens.Training.TrainLogRow(1, 64, double.NaN, 1e-3, 1234.56));
        log.Append(new SharpLens.Training.TrainLogRow(2, 128, 2.5, double.PositiveInfinity, 99));
        Assert.Equal(["step,tokens,loss,lr,tokens_per_s", "1,64,,0.001,1234.6", "2,128,2.5,inf,99"], File.ReadAllLines(path));
        var resumed = new SharpLens.Training.TrainLog(path, 2).Rows;
        Assert.Equal(2, resumed.Count);
        Assert.True(double.IsNaN(resumed[0].Loss));
        Assert.Equal(double.PositiveInfinity, resumed[1].Lr);
    }
}
