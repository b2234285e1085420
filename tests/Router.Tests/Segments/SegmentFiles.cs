using System.Text;
using Beacon.Router.Segments;

namespace Beacon.Router.Tests.Segments;

/// <summary>Shared helpers for tests that write segment logs and look at the files they leave.</summary>
internal static class SegmentFiles
{
    /// <summary>Bytes one frame takes on disk for a key and value of these lengths.</summary>
    public static int FrameLength(int keyLength, int valueLength) =>
        SegmentFormat.FrameHeaderLength + SegmentFormat.BodyPrefixLength + keyLength + valueLength;

    public static byte[] Key(long i) => Encoding.UTF8.GetBytes($"k{i:D3}");

    public static byte[] Value(long i) => Encoding.UTF8.GetBytes($"value-{i:D4}");

    public static long Timestamp(long i) => 1_700_000_000_000 + (i * 1000);

    /// <summary>Appends records <paramref name="from"/> .. <paramref name="to"/> - 1 with predictable keys, values and timestamps.</summary>
    public static void AppendRange(SegmentLog log, long from, long to)
    {
        for (var i = from; i < to; i++)
        {
            log.Append(Key(i), Value(i), Timestamp(i));
        }
    }

    public static List<SegmentRecord> ReadAll(SegmentCursor cursor)
    {
        var records = new List<SegmentRecord>();
        while (cursor.TryRead(out var record))
        {
            records.Add(record);
        }

        return records;
    }

    public static List<SegmentRecord> ReadAll(string directory)
    {
        using var cursor = new SegmentCursor(directory);
        return ReadAll(cursor);
    }

    /// <summary>Asserts records carry exactly the numbers given, each with the key, value and timestamp <see cref="AppendRange"/> gave it.</summary>
    public static void AssertRecords(IEnumerable<long> numbers, IReadOnlyList<SegmentRecord> records)
    {
        Assert.Equal(numbers, records.Select(static r => r.Number));
        foreach (var record in records)
        {
            Assert.Equal(Key(record.Number), record.Key.ToArray());
            Assert.Equal(Value(record.Number), record.Value.ToArray());
            Assert.Equal(Timestamp(record.Number), record.TimestampMs);
        }
    }

    public static IReadOnlyList<string> SegmentNames(string directory) =>
        [.. SegmentFormat.ListSegments(directory).Select(static p => Path.GetFileName(p)!)];

    public static IReadOnlyList<string> NamesOf(params long[] firstRecords) =>
        [.. firstRecords.Select(SegmentFormat.FileName)];

    /// <summary>
    /// A reopened log ages its closed segments by their files' last write time; set it on the test's
    /// clock so retention by age does not compare a fake "now" with the real one.
    /// </summary>
    public static void SetWriteTimes(string directory, DateTimeOffset time)
    {
        foreach (var path in SegmentFormat.ListSegments(directory))
        {
            File.SetLastWriteTimeUtc(path, time.UtcDateTime);
        }
    }

    public static void AppendBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write);
        file.Write(bytes);
    }

    public static void Truncate(string path, int byBytes)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(file.Length - byBytes);
    }

    public static void FlipByte(string path, long fromEnd)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[^(int)fromEnd] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
    }
}
