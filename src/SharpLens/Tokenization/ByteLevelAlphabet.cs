// GPT-2's byte-to-unicode table: every byte gets a printable char (bytes_to_unicode in OpenAI's encoder.py).
namespace SharpLens.Tokenization;

/// <summary>The 256-char alphabet byte-level BPE works in: printable Latin-1 bytes map to themselves, the rest to U+0100+.</summary>
internal static class ByteLevelAlphabet
{
    static readonly char[] byteToChar = Build();
    static readonly Dictionary<char, byte> charToByte = Enumerable.Range(0, 256).ToDictionary(b => byteToChar[b], b => (byte)b);

    static char[] Build()
    {
        var map = new char[256];
        var used = new bool[256];
        for (int b = '!'; b <= '~'; b++) used[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) used[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) used[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = used[b] ? (char)b : (char)(256 + n++);
        return map;
    }

    /// <summary>The char that stands for byte <paramref name="b"/>.</summary>
    public static char ToChar(byte b) => byteToChar[b];

    /// <summary>The byte a char of the alphabet stands for; false for chars outside the alphabet.</summary>
    public static bool TryToByte(char c, out byte b) => charToByte.TryGetValue(c, out b);

    /// <summary>Maps UTF-8 bytes to their alphabet chars.</summary>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = byteToChar[bytes[i]];
        return new string(chars);
    }
}
