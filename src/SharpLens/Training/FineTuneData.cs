// Fine-tuning datasets from Python source via tree-sitter: assignment-target kinds (token labels) and docstring↔body pairs.
using SharpLens.Code;
using SharpLens.Code.Datasets;

namespace SharpLens.Training;

/// <summary>One token-classification example: ids with the label at <see cref="Position"/> (the target's first token).</summary>
internal sealed record TypeKindExample(int[] Ids, int Position, int Label, string File);

/// <summary>One retrieval pair: a docstring and the function it documents (docstring removed).</summary>
internal sealed record DocBodyPair(int[] Doc, int[] Body, string File);

/// <summary>Builds the datasets of <c>sharplens finetune</c>. Files are split 80/20 by path (every 5th file is held out).</summary>
internal static class FineTuneData
{
    /// <summary>The classes of the type-kind task, in label order.</summary>
    public static readonly string[] Kinds = ["int", "float", "str", "bool", "None", "list", "dict", "tuple", "set", "call", "other"];

    /// <summary>The kind of an assignment's right-hand side, from its tree-sitter node type.</summary>
    public static string KindOf(SyntaxNode rhs) => rhs.Type switch
    {
        "integer" => "int",
        "float" => "float",
        "string" or "concatenated_string" => "str",
        "true" or "false" => "bool",
        "none" => "None",
        "list" or "list_comprehension" => "list",
        "dictionary" or "dictionary_comprehension" => "dict",
        "tuple" or "expression_list" => "tuple",
        "set" or "set_comprehension" => "set",
        "call" => "call",
        _ => "other",
    };

    /// <summary>Held-out files: every 5th in ordinal path order.</summary>
    public static bool IsHeldOut(int fileIndex) => fileIndex % 5 == 4;

    static IEnumerable<(int Index, string Path, SyntaxTree Tree)> Parse(string corpus, string glob)
    {
        var files = TokenCache.ListFiles(corpus, glob);
        for (int i = 0; i < files.Count; i++)
        {
            var bytes = File.ReadAllBytes(Path.Combine(corpus, files[i]));
            if (!SourceFiles.TryDecode(bytes, out var text)) continue;
            yield return (i, files[i], SyntaxTree.Parse(text, Language.Python));
        }
    }

    /// <summary>
    /// Every <c>name = value</c> assignment with a single identifier target: the input is up to seqLen/2 tokens of the
    /// preceding source (from a line start) + the statement's line(s), the label position is the identifier's first token.
    /// </summary>
    public static (List<TypeKindExample> Train, List<TypeKindExample> Test) TypeKind(string corpus, string glob, Func<string, int[]> encode, int seqLen)
    {
        var train = new List<TypeKindExample>();
        var test = new List<TypeKindExample>();
        foreach (var (index, path, tree) in Parse(corpus, glob))
        {
            var src = tree.Source;
            foreach (var node in tree.Nodes)
            {
                if (node.Type != "assignment" || node.ChildByField("left") is not { Type: "identifier" } left || node.ChildByField("right") is not { } right) continue;
                int lineStart = src.LastIndexOf('\n', Math.Max(0, left.Start - 1)) + 1;
                int ctxStart = Math.Max(0, left.Start - 400);
                if (ctxStart > 0) { int nl = src.IndexOf('\n', ctxStart); ctxStart = nl >= 0 && nl + 1 <= lineStart ? nl + 1 : lineStart; }
                var prefix = encode(src[ctxStart..left.Start]);
                if (prefix.Length > seqLen / 2) prefix = prefix[^(seqLen / 2)..];
                int end = src.IndexOf('\n', node.End);
                var rest = encode(src[left.Start..(end < 0 ? src.Length : end)]);
                var ids = prefix.Concat(rest).Take(seqLen).ToArray();
                if (rest.Length == 0) continue;
                var ex = new TypeKindExample(ids, prefix.Length, Array.IndexOf(Kinds, KindOf(right)), path);
                (IsHeldOut(index) ? test : train).Add(ex);
            }
        }
        return (train, test);
    }

    /// <summary>
    /// A retrieval pair of a function with a docstring: (docstring, the function without it), each truncated to seqLen
    /// tokens; null when the docstring or the remaining code is shorter than 10 characters.
    /// </summary>
    public static DocBodyPair? Pair(FunctionUnit u, Func<string, int[]> encode, int seqLen)
    {
        if (u.Docstring is not string doc || doc.Trim().Length < 10) return null;
        var body = u.CodeWithoutDocstring;
        int firstLine = body.IndexOf('\n');                                            // the code after the def line
        if (firstLine < 0 || body[(firstLine + 1)..].Trim().Length < 10) return null;
        var pair = new DocBodyPair(encode(doc).Take(seqLen).ToArray(), encode(body).Take(seqLen).ToArray(), u.Path);
        return pair.Doc.Length == 0 || pair.Body.Length == 0 ? null : pair;
    }

    /// <summary>The retrieval pairs (<see cref="Pair"/>) of the functions of every file, split by <see cref="IsHeldOut"/>.</summary>
    public static (List<DocBodyPair> Train, List<DocBodyPair> Test) DocRetrieval(string corpus, string glob, Func<string, int[]> encode, int seqLen)
    {
        var train = new List<DocBodyPair>();
        var test = new List<DocBodyPair>();
        foreach (var (index, path, tree) in Parse(corpus, glob))
            foreach (var u in FunctionUnits.Of(path, tree.Source))
                if (Pair(u, encode, seqLen) is DocBodyPair pair) (IsHeldOut(index) ? test : train).Add(pair);
        return (train, test);
    }
}
