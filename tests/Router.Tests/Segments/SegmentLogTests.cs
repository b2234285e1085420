using Beacon.Router.Segments;
using static Beacon.Router.Tests.Segments.SegmentFiles;

namespace Beacon.Router.Tests.Segments;

public sealed class SegmentLogTests : IDisposable
{
    /// <summary>Every test record is 4 key bytes and 10 value bytes.</summary>
    private static readonly int Frame = FrameLength(4, 10);

    private readonly TempDirectory _temp = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _temp.Dispose();

    private string Dir => _temp.Path;

    /// <summary>Options where every segment holds exactly one record: the next append always rolls.</summary>
    private static SegmentLogOptions OneRecordPerSegment() => new() { SegmentBytes = 1, SegmentMaxAge = TimeSpan.FromDays(365) };

    [Fact]
    public void Appended_records_read_back_in_order_with_numbers_keys_values_and_timestamps()
    {
        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            AppendRange(log, 0, 100);
            log.Flush(durable: true);
            Assert.Equal(100, log.NextRecord);
        }

        AssertRecords(Enumerable.Range(0, 100).Select(static i => (long)i), ReadAll(Dir));
    }

    [Fact]
    public void Empty_keys_and_values_round_trip()
    {
        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            log.Append([], [], 0);
            log.Append("only-key"u8, [], -5);
            log.Append([], "only-value"u8, long.MaxValue);
        }

        var records = ReadAll(Dir);

        Assert.Equal(3, records.Count);
        Assert.True(records[0].Key.IsEmpty && records[0].Value.IsEmpty);
        Assert.Equal("only-key"u8.ToArray(), records[1].Key.ToArray());
        Assert.Equal(-5, records[1].TimestampMs);
        Assert.Equal("only-value"u8.ToArray(), records[2].Value.ToArray());
        Assert.Equal(long.MaxValue, records[2].TimestampMs);
    }

    [Fact]
    public void Records_are_visible_to_a_cursor_after_a_flush_while_the_log_is_still_open()
    {
        using var log = new SegmentLog(Dir, new SegmentLogOptions(), _time);
        using var cursor = new SegmentCursor(Dir);

        AppendRange(log, 0, 3);
        log.Flush(durable: false);
        var first = ReadAll(cursor);

        AppendRange(log, 3, 5);
        log.Flush(durable: false);
        var second = ReadAll(cursor);

        AssertRecords([0, 1, 2], first);
        AssertRecords([3, 4], second);
        Assert.Equal(0, cursor.SkippedTornBytes);
    }

    [Fact]
    public void A_new_segment_file_starts_with_BSEG_and_version_1()
    {
        using (new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
        }

        var bytes = File.ReadAllBytes(Path.Combine(Dir, SegmentFormat.FileName(0)));

        Assert.Equal(SegmentFormat.FileHeaderLength, bytes.Length);
        Assert.Equal("BSEG"u8.ToArray(), bytes[..4]);
        Assert.Equal(1, bytes[4]);
        Assert.Equal(new byte[3], bytes[5..8]);
    }

    [Fact]
    public void Segment_files_are_named_by_their_first_record_number() =>
        Assert.Equal("00000000000000001234.seg", SegmentFormat.FileName(1234));

    [Fact]
    public void The_log_rolls_by_size_and_the_cursor_reads_across_segments_in_order()
    {
        // 8 header bytes + 6 frames of 32 = 200: the seventh append rolls.
        Assert.Equal(32, Frame);
        var options = new SegmentLogOptions { SegmentBytes = 200 };
        using (var log = new SegmentLog(Dir, options, _time))
        {
            AppendRange(log, 0, 20);
            Assert.Equal(4, log.SegmentCount);
        }

        Assert.Equal(NamesOf(0, 6, 12, 18), SegmentNames(Dir));
        foreach (var path in SegmentFormat.ListSegments(Dir).SkipLast(1))
        {
            Assert.Equal(200, new FileInfo(path).Length);
        }

        AssertRecords(Enumerable.Range(0, 20).Select(static i => (long)i), ReadAll(Dir));
    }

    [Fact]
    public void Each_segment_holds_the_records_its_name_says_it_starts_with()
    {
        using (var log = new SegmentLog(Dir, new SegmentLogOptions { SegmentBytes = 100 }, _time))
        {
            AppendRange(log, 0, 25);
        }

        var segments = SegmentFormat.ListSegments(Dir);
        var expectedFirst = 0L;
        foreach (var path in segments)
        {
            Assert.Equal(expectedFirst, SegmentFormat.FirstRecordOf(path));
            using var only = new SegmentCursor(Dir, path);
            var records = ReadAll(only);
            Assert.NotEmpty(records);
            AssertRecords(Enumerable.Range((int)expectedFirst, records.Count).Select(static i => (long)i), records);
            expectedFirst += records.Count;
        }

        Assert.True(segments.Count > 1);
        Assert.Equal(25, expectedFirst);
    }

    [Fact]
    public void The_log_rolls_by_age_when_maintained()
    {
        var options = new SegmentLogOptions { SegmentMaxAge = TimeSpan.FromHours(1) };
        using var log = new SegmentLog(Dir, options, _time);
        AppendRange(log, 0, 2);

        _time.Advance(TimeSpan.FromMinutes(59));
        log.Maintain();
        Assert.Equal(1, log.SegmentCount);

        _time.Advance(TimeSpan.FromMinutes(1));
        log.Maintain();
        Assert.Equal(2, log.SegmentCount);
        Assert.Equal(NamesOf(0, 2), SegmentNames(Dir));

        AppendRange(log, 2, 3);
        log.Flush(durable: false);
        AssertRecords([0, 1, 2], ReadAll(Dir));
    }

    [Fact]
    public void An_empty_segment_is_not_rolled_however_old()
    {
        var options = new SegmentLogOptions { SegmentMaxAge = TimeSpan.FromMinutes(1) };
        using var log = new SegmentLog(Dir, options, _time);

        _time.Advance(TimeSpan.FromHours(5));
        log.Maintain();

        Assert.Equal(1, log.SegmentCount);
        Assert.Equal(NamesOf(0), SegmentNames(Dir));
    }

    [Fact]
    public void Retention_by_size_deletes_the_oldest_closed_segments()
    {
        // One 40-byte segment per record; 130 bytes keep at most three segments.
        var options = OneRecordPerSegment();
        options.RetentionMaxBytes = 130;
        using var log = new SegmentLog(Dir, options, _time);

        AppendRange(log, 0, 10);
        log.Flush(durable: false);
        log.Maintain();

        Assert.Equal(NamesOf(7, 8, 9), SegmentNames(Dir));
        Assert.Equal(3, log.SegmentCount);
        Assert.Equal(120, log.TotalBytes);
        Assert.Equal(SegmentFormat.ListSegments(Dir).Sum(static p => new FileInfo(p).Length), log.TotalBytes);
        AssertRecords([7, 8, 9], ReadAll(Dir));
    }

    [Fact]
    public void Retention_by_size_never_deletes_the_open_segment()
    {
        var options = OneRecordPerSegment();
        options.RetentionMaxBytes = 1;
        using var log = new SegmentLog(Dir, options, _time);

        AppendRange(log, 0, 5);
        log.Flush(durable: false);
        log.Maintain();

        Assert.Equal(NamesOf(4), SegmentNames(Dir));
        AssertRecords([4], ReadAll(Dir));

        AppendRange(log, 5, 6);
        log.Flush(durable: false);
        Assert.Equal(NamesOf(5), SegmentNames(Dir));
        AssertRecords([5], ReadAll(Dir));
    }

    [Fact]
    public void Retention_by_age_deletes_closed_segments_older_than_the_limit()
    {
        var options = OneRecordPerSegment();
        options.RetentionMaxAge = TimeSpan.FromDays(2);
        using var log = new SegmentLog(Dir, options, _time);

        AppendRange(log, 0, 3); // closes 0 and 1 now
        _time.Advance(TimeSpan.FromDays(1));
        log.Maintain();
        Assert.Equal(NamesOf(0, 1, 2), SegmentNames(Dir));

        _time.Advance(TimeSpan.FromDays(2));
        AppendRange(log, 3, 5); // closes 2 and 3 three days later
        log.Flush(durable: false);
        log.Maintain();

        Assert.Equal(NamesOf(2, 3, 4), SegmentNames(Dir));
        AssertRecords([2, 3, 4], ReadAll(Dir));
    }

    [Fact]
    public void Retention_by_age_never_deletes_the_open_segment()
    {
        var options = OneRecordPerSegment();
        options.RetentionMaxAge = TimeSpan.FromDays(2);
        using var log = new SegmentLog(Dir, options, _time);
        AppendRange(log, 0, 3);
        log.Flush(durable: false);

        _time.Advance(TimeSpan.FromDays(30));
        log.Maintain();

        Assert.Equal(NamesOf(2), SegmentNames(Dir));
        Assert.Equal(1, log.SegmentCount);
        AssertRecords([2], ReadAll(Dir));
    }

    [Fact]
    public void Retention_by_age_applies_to_closed_segments_found_when_the_log_reopens()
    {
        using (var log = new SegmentLog(Dir, OneRecordPerSegment(), _time))
        {
            AppendRange(log, 0, 4);
        }

        var now = _time.GetUtcNow();
        var paths = SegmentFormat.ListSegments(Dir);
        File.SetLastWriteTimeUtc(paths[0], (now - TimeSpan.FromDays(5)).UtcDateTime);
        File.SetLastWriteTimeUtc(paths[1], (now - TimeSpan.FromDays(3)).UtcDateTime);
        File.SetLastWriteTimeUtc(paths[2], (now - TimeSpan.FromDays(1)).UtcDateTime);
        File.SetLastWriteTimeUtc(paths[3], (now - TimeSpan.FromDays(9)).UtcDateTime);
        var options = OneRecordPerSegment();
        options.RetentionMaxAge = TimeSpan.FromDays(2);

        using (var log = new SegmentLog(Dir, options, _time))
        {
            log.Maintain();
        }

        Assert.Equal(NamesOf(2, 3), SegmentNames(Dir));
        AssertRecords([2, 3], ReadAll(Dir));
    }

    [Fact]
    public void Reopening_a_log_continues_numbering_after_the_existing_records()
    {
        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            AppendRange(log, 0, 5);
        }

        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            Assert.Equal(5, log.NextRecord);
            Assert.Equal(0, log.RecoveredTornBytes);
            AppendRange(log, 5, 8);
        }

        Assert.Equal(NamesOf(0), SegmentNames(Dir));
        AssertRecords(Enumerable.Range(0, 8).Select(static i => (long)i), ReadAll(Dir));
    }

    [Fact]
    public void Reopening_a_log_of_several_segments_continues_in_the_newest()
    {
        using (var log = new SegmentLog(Dir, OneRecordPerSegment(), _time))
        {
            AppendRange(log, 0, 4);
        }

        SetWriteTimes(Dir, _time.GetUtcNow());
        using (var log = new SegmentLog(Dir, OneRecordPerSegment(), _time))
        {
            Assert.Equal(4, log.NextRecord);
            Assert.Equal(4, log.SegmentCount);
            Assert.Equal(4 * (SegmentFormat.FileHeaderLength + Frame), log.TotalBytes);
            AppendRange(log, 4, 6);
        }

        Assert.Equal(NamesOf(0, 1, 2, 3, 4, 5), SegmentNames(Dir));
        AssertRecords(Enumerable.Range(0, 6).Select(static i => (long)i), ReadAll(Dir));
    }

    [Fact]
    public void A_torn_tail_of_garbage_is_cut_off_when_the_log_reopens()
    {
        var segment = WriteAndClose(5);
        var goodLength = new FileInfo(segment).Length;
        AppendBytes(segment, Enumerable.Repeat((byte)0xAB, 13).ToArray());

        AssertRecords([0, 1, 2, 3, 4], ReadAll(Dir));

        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            Assert.Equal(13, log.RecoveredTornBytes);
            Assert.Equal(5, log.NextRecord);
            Assert.Equal(goodLength, new FileInfo(segment).Length);
            AppendRange(log, 5, 7);
        }

        AssertReadsCleanly(Enumerable.Range(0, 7).Select(static i => (long)i));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(14)]
    [InlineData(25)]
    [InlineData(31)]
    public void A_last_frame_cut_short_is_cut_off_when_the_log_reopens(int missingBytes)
    {
        var segment = WriteAndClose(5);
        Truncate(segment, missingBytes);

        AssertRecords([0, 1, 2, 3], ReadAll(Dir));

        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            Assert.Equal(Frame - missingBytes, log.RecoveredTornBytes);
            Assert.Equal(4, log.NextRecord);
            AppendRange(log, 4, 7);
        }

        AssertReadsCleanly(Enumerable.Range(0, 7).Select(static i => (long)i));
    }

    [Theory]
    [InlineData(1)] // last value byte
    [InlineData(11)] // a key byte
    [InlineData(20)] // the timestamp
    [InlineData(28)] // the stored CRC itself
    public void A_last_frame_whose_crc_does_not_match_is_cut_off_when_the_log_reopens(int fromEnd)
    {
        var segment = WriteAndClose(5);
        FlipByte(segment, fromEnd);

        AssertRecords([0, 1, 2, 3], ReadAll(Dir));

        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            Assert.Equal(Frame, log.RecoveredTornBytes);
            Assert.Equal(4, log.NextRecord);
            AppendRange(log, 4, 6);
        }

        AssertReadsCleanly(Enumerable.Range(0, 6).Select(static i => (long)i));
    }

    [Theory]
    [InlineData(SegmentFormat.MaxBodyLength + 1)]
    [InlineData(int.MaxValue)] // no buffer could hold it: cut off, never allocated
    public void A_frame_length_past_the_limit_is_a_torn_tail(int length)
    {
        var segment = WriteAndClose(2);
        var header = new byte[SegmentFormat.FrameHeaderLength];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header, length);
        AppendBytes(segment, header);

        AssertRecords([0, 1], ReadAll(Dir));

        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            Assert.Equal(SegmentFormat.FrameHeaderLength, log.RecoveredTornBytes);
            AppendRange(log, 2, 3);
        }

        AssertReadsCleanly([0, 1, 2]);
    }

    [Fact]
    public void A_newest_segment_with_only_part_of_its_header_is_recreated()
    {
        using (var log = new SegmentLog(Dir, OneRecordPerSegment(), _time))
        {
            AppendRange(log, 0, 3);
            log.Maintain();
        }

        // The crash came while creating segment 3.
        var partial = Path.Combine(Dir, SegmentFormat.FileName(3));
        File.WriteAllBytes(partial, "BSE"u8.ToArray());
        SetWriteTimes(Dir, _time.GetUtcNow());
        AssertRecords([0, 1, 2], ReadAll(Dir));

        using (var log = new SegmentLog(Dir, OneRecordPerSegment(), _time))
        {
            Assert.Equal(3, log.RecoveredTornBytes);
            Assert.Equal(3, log.NextRecord);
            Assert.True(SegmentFormat.IsFileHeader(File.ReadAllBytes(partial)));
            AppendRange(log, 3, 5);
        }

        AssertReadsCleanly([0, 1, 2, 3, 4]);
    }

    [Fact]
    public void A_lone_segment_with_only_part_of_its_header_is_recreated()
    {
        File.WriteAllBytes(Path.Combine(Dir, SegmentFormat.FileName(0)), "BS"u8.ToArray());

        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            Assert.Equal(2, log.RecoveredTornBytes);
            Assert.Equal(0, log.NextRecord);
            AppendRange(log, 0, 2);
        }

        AssertReadsCleanly([0, 1]);
    }

    [Fact]
    public void A_newest_segment_whose_header_was_never_written_is_recreated()
    {
        // A crash after the file was extended but before its header reached the disk leaves zeros.
        File.WriteAllBytes(Path.Combine(Dir, SegmentFormat.FileName(0)), new byte[SegmentFormat.FileHeaderLength]);

        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            Assert.Equal(SegmentFormat.FileHeaderLength, log.RecoveredTornBytes);
            AppendRange(log, 0, 2);
        }

        AssertReadsCleanly([0, 1]);
    }

    [Theory]
    [InlineData(4, 2)] // another format version
    [InlineData(0, (byte)'X')] // another format
    public void A_newest_segment_with_a_whole_header_that_is_not_ours_is_left_untouched_and_the_log_not_opened(int at, byte value)
    {
        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            AppendRange(log, 0, 5);
        }

        var path = Path.Combine(Dir, SegmentFormat.FileName(0));
        var bytes = File.ReadAllBytes(path);
        bytes[at] = value;
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => new SegmentLog(Dir, new SegmentLogOptions(), _time));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_log_opened_in_a_missing_directory_creates_it()
    {
        var nested = Path.Combine(Dir, "a", "b");

        using (var log = new SegmentLog(nested, new SegmentLogOptions(), _time))
        {
            AppendRange(log, 0, 1);
        }

        AssertRecords([0], ReadAll(nested));
    }

    [Fact]
    public void Disposing_a_log_twice_does_not_throw()
    {
        var log = new SegmentLog(Dir, new SegmentLogOptions(), _time);
        log.Dispose();

        var second = Record.Exception(log.Dispose);

        Assert.Null(second);
    }

    [Theory]
    [InlineData(0)] // a tail of zero bytes: length 0 and the CRC of no bytes, 0
    [InlineData(1)]
    [InlineData(SegmentFormat.BodyPrefixLength - 1)]
    public void A_frame_too_short_for_its_prefix_is_a_torn_tail_even_when_its_crc_matches(int bodyLength)
    {
        var segment = WriteAndClose(3);
        var body = new byte[bodyLength];
        var header = new byte[SegmentFormat.FrameHeaderLength];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header, bodyLength);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), Crc32C.Compute(body));
        AppendBytes(segment, [.. header, .. body]);

        AssertRecords([0, 1, 2], ReadAll(Dir));

        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            Assert.Equal(SegmentFormat.FrameHeaderLength + bodyLength, log.RecoveredTornBytes);
            Assert.Equal(3, log.NextRecord);
            AppendRange(log, 3, 4);
        }

        AssertReadsCleanly([0, 1, 2, 3]);
    }

    [Fact]
    public void Records_larger_than_the_cursors_read_buffer_read_back_whole()
    {
        var values = new[] { 100, 5_000, 20_000, 3 }.Select(static n => Enumerable.Range(0, n).Select(static i => (byte)(i * 7)).ToArray()).ToArray();
        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            for (var i = 0; i < values.Length; i++)
            {
                log.Append(Key(i), values[i], Timestamp(i));
            }
        }

        var records = ReadAll(Dir);

        Assert.Equal(values.Length, records.Count);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(Key(i), records[i].Key.ToArray());
            Assert.Equal(values[i], records[i].Value.ToArray());
        }
    }

    [Fact]
    public void Records_smaller_than_equal_to_and_larger_than_the_write_buffer_read_back_whole_in_order()
    {
        // A frame that fits is copied into the stream's buffer in pieces; a larger one is written straight through.
        const int Buffer = 256;
        var overhead = FrameLength(0, 0);
        var sizes = new[] { 10, Buffer - overhead, 300, 1, Buffer - overhead - 1, 2, 5_000, Buffer - overhead, 0 };
        var values = sizes.Select(static (n, r) => Enumerable.Range(0, n).Select(i => (byte)(i + r)).ToArray()).ToArray();
        using (var log = new SegmentLog(Dir, new SegmentLogOptions { WriteBufferBytes = Buffer }, _time))
        {
            foreach (var value in values)
            {
                log.Append([], value, Timestamp(0));
            }
        }

        var records = ReadAll(Dir);

        Assert.Equal(values, records.Select(static r => r.Value.ToArray()));
    }

    [Fact]
    public void Retention_by_size_keeps_a_log_exactly_at_the_limit()
    {
        // One 40-byte segment per record: 120 bytes are exactly three segments, not more than the limit.
        var options = OneRecordPerSegment();
        options.RetentionMaxBytes = 120;
        using var log = new SegmentLog(Dir, options, _time);

        AppendRange(log, 0, 10);
        log.Flush(durable: false);
        log.Maintain();

        Assert.Equal(NamesOf(7, 8, 9), SegmentNames(Dir));
        Assert.Equal(120, log.TotalBytes);
    }

    [Fact]
    public void Retention_by_age_keeps_a_segment_exactly_as_old_as_the_limit()
    {
        var options = OneRecordPerSegment();
        options.RetentionMaxAge = TimeSpan.FromDays(2);
        using var log = new SegmentLog(Dir, options, _time);
        AppendRange(log, 0, 2); // closes 0 now

        _time.Advance(TimeSpan.FromDays(2));
        log.Maintain();
        Assert.Equal(NamesOf(0, 1), SegmentNames(Dir));

        _time.Advance(TimeSpan.FromTicks(1));
        log.Maintain();
        Assert.Equal(NamesOf(1), SegmentNames(Dir));
    }

    [Fact]
    public void Reopening_a_log_that_holds_no_records_recovers_nothing()
    {
        using (new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
        }

        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            Assert.Equal(0, log.RecoveredTornBytes);
            Assert.Equal(0, log.NextRecord);
            AppendRange(log, 0, 1);
        }

        AssertReadsCleanly([0]);
    }

    [Fact]
    public void Record_count_and_deleted_records_follow_the_segments_before_and_after_a_reopen()
    {
        using (var log = new SegmentLog(Dir, OneRecordPerSegment(), _time))
        {
            AppendRange(log, 0, 4);
            Assert.Equal(4, log.RecordCount);
            Assert.Equal(1, log.Delete(log.OldestClosedSegment!));
            Assert.Equal(3, log.RecordCount);
        }

        SetWriteTimes(Dir, _time.GetUtcNow());
        using (var log = new SegmentLog(Dir, OneRecordPerSegment(), _time))
        {
            Assert.Equal(3, log.RecordCount);
            Assert.Equal(1, log.Delete(log.OldestClosedSegment!));
            Assert.Equal(2, log.RecordCount);
        }
    }

    private string WriteAndClose(int records)
    {
        using (var log = new SegmentLog(Dir, new SegmentLogOptions(), _time))
        {
            AppendRange(log, 0, records);
        }

        var segment = Path.Combine(Dir, SegmentFormat.FileName(0));
        Assert.Equal(SegmentFormat.FileHeaderLength + (records * Frame), new FileInfo(segment).Length);
        return segment;
    }

    /// <summary>Reads the whole log and checks it holds exactly these records, with nothing torn in between.</summary>
    private void AssertReadsCleanly(IEnumerable<long> numbers)
    {
        using var cursor = new SegmentCursor(Dir);
        var records = ReadAll(cursor);

        AssertRecords(numbers, records);
        Assert.Equal(0, cursor.SkippedTornBytes);
        var total = SegmentFormat.ListSegments(Dir).Sum(static p => new FileInfo(p).Length);
        Assert.Equal((SegmentFormat.ListSegments(Dir).Count * SegmentFormat.FileHeaderLength) + (records.Count * Frame), total);
    }
}
