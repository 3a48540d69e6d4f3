// Checks shared by report tests: a page fetches nothing, and every figure plots data and carries its numbers.
using System.Text.RegularExpressions;

namespace SharpLens.Tests.Support;

public static class HtmlAssert
{
    /// <summary>No URL, stylesheet link, import or external source: the page opens offline.</summary>
    public static void SelfContained(string html)
    {
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        foreach (Match src in Regex.Matches(html, @"\ssrc\s*=\s*[""']?([^""'\s>]*)", RegexOptions.IgnoreCase))
            Assert.StartsWith("data:", src.Groups[1].Value);
    }

    /// <summary>At least <paramref name="min"/> figures, each with data points, a drawn mark and its data table; returns the count.</summary>
    public static int FiguresHaveData(string html, int min)
    {
        var figures = Regex.Matches(html, @"<figure class=""fig"" data-points=""(\d+)"">(.*?)</figure>", RegexOptions.Singleline);
        Assert.True(figures.Count >= min, $"expected ≥ {min} figures, found {figures.Count}");
        foreach (Match f in figures)
        {
            Assert.True(int.Parse(f.Groups[1].Value) > 0, "a figure has no data points");
            Assert.Matches("<(rect|circle|polyline)[^>]*>", f.Groups[2].Value);
            Assert.Contains("<table>", f.Groups[2].Value);
        }
        return figures.Count;
    }
}
