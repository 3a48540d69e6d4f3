// A .NET regex that matches like Rust's fancy-regex / Oniguruma on Unicode code points, astral characters included.
using System.Globalization;
using System.Text.RegularExpressions;

namespace SharpLens.Tokenization;

/// <summary>
/// .NET regexes work on UTF-16 chars, so <c>\p{L}</c> never matches an astral letter (a surrogate pair) and a class
/// such as <c>[^\s\p{L}\p{N}]</c> can split a pair in two. Before matching, every astral code point is replaced by
/// one BMP char of the same Unicode general category (e.g. an emoji, category So, becomes U+00A6); match positions are
/// mapped back to the original UTF-16 indices. Literal astral chars inside a pattern are therefore not supported.
/// </summary>
internal sealed class CodePointRegex
{
    readonly Regex regex;

    CodePointRegex(Regex regex) { this.regex = regex; }

    public static CodePointRegex Create(string pattern, string file)
    {
        try
        {
            return new CodePointRegex(new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant));
        }
        catch (ArgumentException ex)
        {
            throw new NotSupportedException($"{file}: regex '{pattern}' cannot be compiled by .NET ({ex.Message})", ex);
        }
    }

    /// <summary>Non-empty matches, left to right, as [start, end) UTF-16 indices into <paramref name="text"/>.</summary>
    public List<(int Start, int End)> Matches(string text)
    {
        var result = new List<(int, int)>();
        if (text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            foreach (var m in regex.EnumerateMatches(text))
                if (m.Length > 0) result.Add((m.Index, m.Index + m.Length));
            return result;
        }
        var (mapped, orig) = MapAstral(text);
        foreach (var m in regex.EnumerateMatches(mapped))
            if (m.Length > 0) result.Add((orig[m.Index], orig[m.Index + m.Length]));
        return result;
    }

    static (string Mapped, int[] Original) MapAstral(string text)
    {
        var chars = new char[text.Length];
        var orig = new int[text.Length + 1];
        int j = 0;
        for (int i = 0; i < text.Length; i++, j++)
        {
            orig[j] = i;
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                chars[j] = Representative(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1])));
                i++;
            }
            else chars[j] = c;
        }
        orig[j] = text.Length;
        return (new string(chars, 0, j), orig);
    }

    /// <summary>A BMP char of the given general category (used in place of an astral code point).</summary>
    static char Representative(UnicodeCategory cat) => cat switch
    {
        UnicodeCategory.UppercaseLetter => 'A',
        UnicodeCategory.LowercaseLetter => 'a',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u4E00',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.SpaceSeparator => '\u2002',
        UnicodeCategory.Format => '\u00AD',
        UnicodeCategory.PrivateUse => '\uE000',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u00AB',
        UnicodeCategory.FinalQuotePunctuation => '\u00BB',
        UnicodeCategory.OtherPunctuation => '\u00A1',
        UnicodeCategory.MathSymbol => '\u00AC',
        UnicodeCategory.CurrencySymbol => '\u00A2',
        UnicodeCategory.ModifierSymbol => '\u00B4',
        UnicodeCategory.OtherSymbol => '\u00A6',
        _ => '\u0378',                                              // unassigned
    };
}
