// Inline SVG lines: a missing value (NaN) breaks the line instead of joining its neighbours.
using System.Text.RegularExpressions;
using SharpLens.Reports;

namespace SharpLens.Tests.Reports;

public class SvgTests
{
    static int Count(string svg, string element) => Regex.Matches(svg, $"<{element} ").Count;

    [Fact]
    public void A_nan_breaks_the_line_and_a_lone_point_keeps_its_marker()
    {
        string[] x = ["a", "b", "c", "d", "e", "f"];
        var whole = Svg.Lines("t", x, [new Series("s", [1, 2, 3, 4, 5, 6])], "y");
        Assert.Equal(1, Count(whole, "polyline"));

        var broken = Svg.Lines("t", x, [new Series("s", [1, 2, double.NaN, 4, 5, double.NaN], [0, 1, 0, 3, 4, 0], [2, 3, 0, 5, 6, 0])], "y");
        Assert.Equal(2, Count(broken, "polyline"));                                          // a–b and d–e, nothing across c
        Assert.Equal(2, Count(broken, "polygon"));                                           // one interval band per segment
        Assert.Equal(4, Count(broken, "circle"));

        var lone = Svg.Lines("t", x, [new Series("s", [1, double.NaN, 3, double.NaN, double.NaN, double.NaN])], "y");
        Assert.Equal(0, Count(lone, "polyline"));
        Assert.Equal(2, Count(lone, "circle"));
    }
}
