// P/Invoke into libsharplens_treesitter.so (built by build/treesitter.targets): one call parses and flattens a tree.
using System.Runtime.InteropServices;

namespace SharpLens.Code;

internal static partial class Native
{
    const string Library = "sharplens_treesitter";

    /// <summary>Mirror of the shim's sl_node (20 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct FlatNode
    {
        public uint StartByte;
        public uint EndByte;
        public int Parent;
        public ushort Symbol;
        public ushort Field;
        public uint Flags;
    }

    internal const uint FlagNamed = 1, FlagMissing = 2, FlagError = 4, FlagHasError = 8, FlagExtra = 16;

    [LibraryImport(Library, EntryPoint = "sl_parse")]
    internal static unsafe partial int Parse(int language, byte* source, uint length, out FlatNode* nodes);

    [LibraryImport(Library, EntryPoint = "sl_free")]
    internal static unsafe partial void Free(void* pointer);

    [LibraryImport(Library, EntryPoint = "sl_symbol_name")]
    internal static partial IntPtr SymbolName(int language, ushort symbol);

    [LibraryImport(Library, EntryPoint = "sl_field_name")]
    internal static partial IntPtr FieldName(int language, ushort field);

    [LibraryImport(Library, EntryPoint = "sl_abi_version")]
    internal static partial uint AbiVersion(int language);

    // Per-language name tables filled lazily; a race only writes the same interned string twice.
    static readonly string?[][] symbolNames = new string?[8][];
    static readonly string?[][] fieldNames = new string?[8][];

    internal static string Symbol(Language language, ushort symbol)
    {
        var table = symbolNames[language.NativeId] ??= new string?[ushort.MaxValue + 1];
        return table[symbol] ??= string.Intern(Marshal.PtrToStringUTF8(SymbolName(language.NativeId, symbol)) ?? $"<symbol {symbol}>");
    }

    internal static string? Field(Language language, ushort field)
    {
        if (field == 0) return null;
        var table = fieldNames[language.NativeId] ??= new string?[ushort.MaxValue + 1];
        return table[field] ??= string.Intern(Marshal.PtrToStringUTF8(FieldName(language.NativeId, field)) ?? $"<field {field}>");
    }
}
