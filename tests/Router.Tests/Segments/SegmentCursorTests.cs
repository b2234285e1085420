using Beacon.Router.Segments;
using static Beacon.Router.Tests.Segments.SegmentFiles;

namespace Beacon.Router.Tests.Segments;

public sealed class SegmentCursorTests : IDisposable
{
    private static readonly int Frame = FrameLength(4, 10);

    private readonly TempDirectory _temp = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _temp.Dispose();

    private string Dir => _temp.Path;

    [Fact]
    public void A_cursor_over_an_empty_directory_reads_nothing()
    {
        using var cursor = new SegmentCursor(Dir);

        Assert.False(cursor.TryRead(out _));
        Assert.False(cursor.TryRead(out _));
    }

    [Fact]
    public void A_cursor_over_a_missing_directory_reads_nothing()
    {
        using var cursor = new SegmentCursor(Path.Combine(Dir, "never-created"));

        Assert.False(cursor.TryRead(out _));
    }

    [Fact]
    public void A_cursor_over_a_fresh_log_reads_nothing_until_records_are_flushed()
    {
        using var log = new SegmentLog(Dir, new SegmentLogOptions(), _time);
        using var cursor = new SegmentCursor(Dir);

        Assert.False(cursor.TryRead(out _));

        AppendRange(log, 0, 1);
        log.Flush(durable: false);

        Assert.True(cursor.TryRead(out var record));
        Assert.Equal(0, record.Number);
    }

    [Fact]
    public void A_cursor_following_an_open_log_reads_across_a_roll_without_losing_records()
    {
        using var log = new SegmentLog(Dir, new SegmentLogOptions { SegmentBytes = 200 }, _time);
        using var cursor = new SegmentCursor(Dir);

        AppendRange(log, 0, 4);
        log.Flush(durable: false);
        var before = ReadAll(cursor);

        AppendRange(log, 4, 20); // rolls at 6, 12 and 18
        log.Flush(durable: false);
        var after = ReadAll(cursor);

        AssertRecords([0, 1, 2, 3], before);
        AssertRecords(Enumerable.Range(4, 16).Select(static i => (long)i), after);
        Assert.Equal(0, cursor.SkippedTornBytes);
        Assert.Equal(4, SegmentFormat.ListSegments(Dir).Count);
    }

    [Fact]
    public void A_torn_tail_in_an_older_segment_is_skipped_and_counted()
    {
        WriteOneRecordPerSegment(3);
        AppendBytes(Path.Combine(Dir, SegmentFormat.FileName(0)), Enumerable.Repeat((byte)0x77, 20).ToArray());

        using var cursor = new SegmentCursor(Dir);
        var records = ReadAll(cursor);

        AssertRecords([0, 1, 2], records);
        Assert.Equal(20, cursor.SkippedTornBytes);
    }

    [Fact]
    public void A_corrupt_record_in_an_older_segment_is_skipped_and_the_newer_segments_still_read()
    {
        WriteOneRecordPerSegment(3);
        FlipByte(Path.Combine(Dir, SegmentFormat.FileName(1)), fromEnd: 3);

        using var cursor = new SegmentCursor(Dir);
        var records = ReadAll(cursor);

        AssertRecords([0, 2], records);
        Assert.Equal(Frame, cursor.SkippedTornBytes);
    }

    [Fact]
    public void A_torn_tail_in_the_newest_segment_stops_the_cursor_without_skipping()
    {
        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            AppendRange(log, 0, 3);
        }

        AppendBytes(Path.Combine(Dir, SegmentFormat.FileName(0)), [1, 2, 3, 4, 5]);
        using var cursor = new SegmentCursor(Dir);

        AssertRecords([0, 1, 2], ReadAll(cursor));
        Assert.False(cursor.TryRead(out _));
        Assert.Equal(0, cursor.SkippedTornBytes);
        Assert.Equal(SegmentFormat.FileHeaderLength + (3 * Frame), cursor.Position);
    }

    [Fact]
    public void A_cursor_waits_at_an_unfinished_frame_and_reads_it_once_complete()
    {
        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            AppendRange(log, 0, 1);
        }

        var segment = Path.Combine(Dir, SegmentFormat.FileName(0));
        var frame = EncodeFrame(1);
        using var cursor = new SegmentCursor(Dir);

        AppendBytes(segment, frame.AsSpan(0, 5));
        AssertRecords([0], ReadAll(cursor));

        AppendBytes(segment, frame.AsSpan(5, 15));
        Assert.False(cursor.TryRead(out _));

        AppendBytes(segment, frame.AsSpan(20));
        AssertRecords([1], ReadAll(cursor));
        Assert.Equal(0, cursor.SkippedTornBytes);
    }

    [Fact]
    public void A_newest_segment_whose_header_is_unfinished_is_read_once_it_is_written()
    {
        WriteOneRecordPerSegment(2);
        var next = Path.Combine(Dir, SegmentFormat.FileName(2));
        File.WriteAllBytes(next, "BSE"u8.ToArray());
        using var cursor = new SegmentCursor(Dir);

        AssertRecords([0, 1], ReadAll(cursor));

        var header = new byte[SegmentFormat.FileHeaderLength];
        SegmentFormat.WriteFileHeader(header);
        File.WriteAllBytes(next, [.. header, .. EncodeFrame(2)]);

        AssertRecords([2], ReadAll(cursor));
        Assert.Equal(0, cursor.SkippedTornBytes);
    }

    [Fact]
    public void A_cursor_given_one_segment_reads_only_that_segment()
    {
        WriteOneRecordPerSegment(3);

        using var cursor = new SegmentCursor(Dir, Path.Combine(Dir, SegmentFormat.FileName(1)));

        AssertRecords([1], ReadAll(cursor));
    }

    [Fact]
    public void Record_numbers_follow_the_first_segment_left_after_retention()
    {
        var options = new SegmentLogOptions { SegmentBytes = 1, RetentionMaxBytes = 1, SegmentMaxAge = TimeSpan.FromDays(365) };
        using (var log = new SegmentLog(Dir, options, _time))
        {
            AppendRange(log, 0, 6);
            log.Maintain();
        }

        AssertRecords([5], ReadAll(Dir));
    }

    [Fact]
    public void A_segment_of_another_format_version_is_not_read()
    {
        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            AppendRange(log, 0, 2);
        }

        var segment = Path.Combine(Dir, SegmentFormat.FileName(0));
        var bytes = File.ReadAllBytes(segment);
        bytes[4] = SegmentFormat.Version + 1;
        File.WriteAllBytes(segment, bytes);
        using var cursor = new SegmentCursor(Dir);

        Assert.False(SegmentFormat.IsFileHeader(bytes));
        Assert.False(cursor.TryRead(out _));
    }

    private void WriteOneRecordPerSegment(int records)
    {
        var options = new SegmentLogOptions { SegmentBytes = 1, SegmentMaxAge = TimeSpan.FromDays(365) };
        using (var log = new SegmentLog(Dir, options, _time))
        {
            AppendRange(log, 0, records);
        }

        Assert.Equal(NamesOf([.. Enumerable.Range(0, records).Select(static i => (long)i)]), SegmentNames(Dir));
    }

    /// <summary>The bytes <see cref="SegmentLog.Append"/> would write for record <paramref name="i"/>.</summary>
    private static byte[] EncodeFrame(long i)
    {
        var key = Key(i);
        var value = Value(i);
        var start = new byte[SegmentFormat.FrameHeaderLength + SegmentFormat.BodyPrefixLength];
        SegmentFormat.WriteFrameStart(start, Timestamp(i), key, value);
        return [.. start, .. key, .. value];
    }

    [Fact]
    public async Task A_cursor_following_a_log_that_rolls_under_it_reads_every_record_once()
    {
        const int records = 100_000;
        var writer = Task.Factory.StartNew(() =>
        {
            using var log = new SegmentLog(Dir, new SegmentLogOptions { SegmentBytes = 2048 }, _time);
            for (var i = 0; i < records; i++)
            {
                log.Append("key"u8, BitConverter.GetBytes(i), i);
                if (i % 3 == 0)
                {
                    log.Flush(durable: false);
                }
            }
        }, TaskCreationOptions.LongRunning);

        var numbers = new List<long>(records);
        using var cursor = new SegmentCursor(Dir);
        while (!writer.IsCompleted)
        {
            while (cursor.TryRead(out var record))
            {
                numbers.Add(record.Number);
            }
        }

        await writer;
        while (cursor.TryRead(out var rest))
        {
            numbers.Add(rest.Number);
        }

        Assert.Equal(0, cursor.SkippedTornBytes);
        Assert.Equal(Enumerable.Range(0, records).Select(static i => (long)i), numbers);
    }
}
