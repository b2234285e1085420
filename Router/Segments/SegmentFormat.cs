using System.Buffers.Binary;

namespace Beacon.Router.Segments;

/// <summary>
/// The on-disk layout. A segment is an 8-byte file header ("BSEG", version, 3 reserved) then frames:
/// <code>
/// int32 bodyLength | uint32 crc32c(body) | body = int64 timestampMs | uint16 keyLength | key | value
/// </code>
/// all little-endian. A frame whose length runs past the end of the file or whose CRC does not
/// match is a torn tail: the writer crashed mid-append.
/// </summary>
public static class SegmentFormat
{
    public const int FileHeaderLength = 8;
    public const int FrameHeaderLength = 8;
    public const int BodyPrefixLength = sizeof(long) + sizeof(ushort);
    public const byte Version = 1;
    public const string Extension = ".seg";

    /// <summary>Largest body accepted on read; anything larger is corruption, not a record.</summary>
    public const int MaxBodyLength = 64 * 1024 * 1024;

    public static ReadOnlySpan<byte> Magic => "BSEG"u8;

    /// <summary>What appending a record puts on disk (its segment's file header aside).</summary>
    public static int FrameLength(int keyLength, int valueLength) => FrameHeaderLength + BodyPrefixLength + keyLength + valueLength;

    public static void WriteFileHeader(Span<byte> destination)
    {
        Magic.CopyTo(destination);
        destination[4] = Version;
        destination[5..FileHeaderLength].Clear();
    }

    public static bool IsFileHeader(ReadOnlySpan<byte> header) =>
        header.Length >= FileHeaderLength && header[..4].SequenceEqual(Magic) && header[4] == Version;

    /// <summary>Writes the frame header and body prefix for a record; the CRC covers prefix, key and value.</summary>
    public static void WriteFrameStart(Span<byte> destination, long timestampMs, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var bodyLength = BodyPrefixLength + key.Length + value.Length;
        var prefix = destination.Slice(FrameHeaderLength, BodyPrefixLength);
        BinaryPrimitives.WriteInt64LittleEndian(prefix, timestampMs);
        BinaryPrimitives.WriteUInt16LittleEndian(prefix[sizeof(long)..], checked((ushort)key.Length));
        var crc = Crc32C.Append(Crc32C.Seed, prefix);
        crc = Crc32C.Append(crc, key);
        crc = Crc32C.Finish(Crc32C.Append(crc, value));
        BinaryPrimitives.WriteInt32LittleEndian(destination, bodyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], crc);
    }

    /// <summary>Reads a frame header; false when the length cannot be a record.</summary>
    public static bool TryReadFrameHeader(ReadOnlySpan<byte> header, out int bodyLength, out uint crc)
    {
        bodyLength = BinaryPrimitives.ReadInt32LittleEndian(header);
        crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        return bodyLength is >= BodyPrefixLength and <= MaxBodyLength;
    }

    /// <summary>Checks a body against its CRC and splits it; false when it is torn or corrupt.</summary>
    public static bool TryReadBody(ReadOnlySpan<byte> body, uint crc, out long timestampMs, out int keyLength)
    {
        timestampMs = 0;
        keyLength = 0;
        if (Crc32C.Compute(body) != crc)
        {
            return false;
        }

        timestampMs = BinaryPrimitives.ReadInt64LittleEndian(body);
        keyLength = BinaryPrimitives.ReadUInt16LittleEndian(body[sizeof(long)..]);
        return BodyPrefixLength + keyLength <= body.Length;
    }

    /// <summary>Segment files are named by the number of their first record, so names sort in log order.</summary>
    public static string FileName(long firstRecord) => $"{firstRecord:D20}{Extension}";

    public static IReadOnlyList<string> ListSegments(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory, "*" + Extension).Order(StringComparer.Ordinal)]
            : [];

    public static long FirstRecordOf(string path) =>
        long.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);
}
