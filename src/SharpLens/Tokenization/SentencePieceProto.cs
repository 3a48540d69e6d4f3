// Reads a sentencepiece `tokenizer.model` (ModelProto protobuf): pieces, scores, types, trainer and normalizer specs.
// Reference: google/sentencepiece src/sentencepiece_model.proto (field numbers).
using System.Buffers.Binary;
using System.Text;

namespace SharpLens.Tokenization;

/// <summary>Type of a sentencepiece piece (SentencePiece.Type in the proto).</summary>
internal enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

internal sealed record SentencePiece(string Piece, float Score, PieceType Type);

/// <summary>The parts of a ModelProto the BPE encoder and decoder need.</summary>
internal sealed class SentencePieceProto
{
    public List<SentencePiece> Pieces { get; } = new();
    public int ModelType { get; private set; } = 1;          // 1 UNIGRAM (proto default), 2 BPE, 3 WORD, 4 CHAR
    public bool ByteFallback { get; private set; }
    public bool TreatWhitespaceAsSuffix { get; private set; }
    public int UnkId { get; private set; } = 0;
    public int BosId { get; private set; } = 1;
    public int EosId { get; private set; } = 2;
    public int PadId { get; private set; } = -1;
    public string UnkSurface { get; private set; } = " \u2047 ";
    public string NormalizerName { get; private set; } = "";
    public int PrecompiledCharsmapLength { get; private set; }
    public bool AddDummyPrefix { get; private set; } = true;
    public bool RemoveExtraWhitespaces { get; private set; } = true;
    public bool EscapeWhitespaces { get; private set; } = true;

    public static SentencePieceProto Parse(byte[] data, string file)
    {
        var proto = new SentencePieceProto();
        try
        {
            var r = new Reader(data, 0, data.Length);
            while (r.More)
            {
                var (field, wire) = r.Tag();
                if (field == 1 && wire == 2) proto.Pieces.Add(ParsePiece(r.Bytes()));
                else if (field == 2 && wire == 2) proto.ParseTrainer(r.Bytes());
                else if (field == 3 && wire == 2) proto.ParseNormalizer(r.Bytes());
                else r.Skip(wire);
            }
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or FormatException)
        {
            throw new FormatException($"{file}: not a valid sentencepiece model protobuf ({ex.Message})", ex);
        }
        if (proto.Pieces.Count == 0) throw new FormatException($"{file}: expected sentencepiece pieces (field 1), found none");
        return proto;
    }

    static SentencePiece ParsePiece(Reader r)
    {
        string piece = ""; float score = 0; var type = PieceType.Normal;
        while (r.More)
        {
            var (field, wire) = r.Tag();
            if (field == 1 && wire == 2) piece = r.String();
            else if (field == 2 && wire == 5) score = r.Float();
            else if (field == 3 && wire == 0) type = (PieceType)(int)r.Varint();
            else r.Skip(wire);
        }
        return new SentencePiece(piece, score, type);
    }

    void ParseTrainer(Reader r)
    {
        while (r.More)
        {
            var (field, wire) = r.Tag();
            switch (field, wire)
            {
                case (3, 0): ModelType = (int)r.Varint(); break;
                case (24, 0): TreatWhitespaceAsSuffix = r.Varint() != 0; break;
                case (35, 0): ByteFallback = r.Varint() != 0; break;
                case (40, 0): UnkId = (int)(long)r.Varint(); break;
                case (41, 0): BosId = (int)(long)r.Varint(); break;
                case (42, 0): EosId = (int)(long)r.Varint(); break;
                case (43, 0): PadId = (int)(long)r.Varint(); break;
                case (44, 2): UnkSurface = r.String(); break;
                default: r.Skip(wire); break;
            }
        }
    }

    void ParseNormalizer(Reader r)
    {
        while (r.More)
        {
            var (field, wire) = r.Tag();
            switch (field, wire)
            {
                case (1, 2): NormalizerName = r.String(); break;
                case (2, 2): PrecompiledCharsmapLength = r.Bytes().Remaining; break;
                case (3, 0): AddDummyPrefix = r.Varint() != 0; break;
                case (4, 0): RemoveExtraWhitespaces = r.Varint() != 0; break;
                case (5, 0): EscapeWhitespaces = r.Varint() != 0; break;
                default: r.Skip(wire); break;
            }
        }
    }

    /// <summary>Minimal protobuf wire-format reader over a byte range.</summary>
    sealed class Reader(byte[] data, int pos, int end)
    {
        public bool More => pos < end;
        public int Remaining => end - pos;

        public ulong Varint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (pos >= end) throw new FormatException("truncated varint");
                byte b = data[pos++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return result;
            }
            throw new FormatException("varint longer than 10 bytes");
        }

        public (int Field, int Wire) Tag()
        {
            var t = Varint();
            return ((int)(t >> 3), (int)(t & 7));
        }

        public Reader Bytes()
        {
            var len = (int)Varint();
            if (len < 0 || pos + len > end) throw new FormatException($"length {len} runs past the end of the message");
            var r = new Reader(data, pos, pos + len);
            pos += len;
            return r;
        }

        public string String()
        {
            var len = (int)Varint();
            if (len < 0 || pos + len > end) throw new FormatException($"string length {len} runs past the end of the message");
            var s = System.Text.Encoding.UTF8.GetString(data, pos, len);
            pos += len;
            return s;
        }

        public float Float()
        {
            if (pos + 4 > end) throw new FormatException("truncated fixed32");
            var f = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(pos, 4));
            pos += 4;
            return f;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: pos += 8; break;
                case 2: Bytes(); break;
                case 5: pos += 4; break;
                default: throw new FormatException($"unsupported protobuf wire type {wire}");
            }
            if (pos > end) throw new FormatException("field runs past the end of the message");
        }
    }
}
