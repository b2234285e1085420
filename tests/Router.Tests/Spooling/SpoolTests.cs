using System.Text;
using Beacon.Router.Routing;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Beacon.Router.Spooling;
using Beacon.Router.Tests.Sinks;

namespace Beacon.Router.Tests.Spooling;

public sealed class SpoolTests : IDisposable
{
    private static readonly byte[] Value = Encoding.UTF8.GetBytes(new string('v', 200));
    private readonly TempDirectory _temp = new();
    private readonly SpoolCounters _counters = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Records_wait_in_one_lane_per_topic_under_their_priority()
    {
        using (var spool = Open(maxBytes: 1 << 20))
        {
            Assert.True(spool.TryAppend(Record("beacon.p0", Priority.P0, 1)));
            Assert.True(spool.TryAppend(Record("beacon.p3", Priority.P3, 2)));
            Assert.True(spool.TryAppend(Record("beacon.p3", Priority.P3, 3)));
            Assert.Equal(3, spool.Records);
            Assert.Equal(["beacon.p0", "beacon.p3"], spool.Lanes.Select(static l => l.Topic));
        }

        Assert.True(Directory.Exists(_temp.Combine("p0/beacon.p0")));
        Assert.True(Directory.Exists(_temp.Combine("p3/beacon.p3")));
    }

    [Fact]
    public void A_reopened_spool_finds_every_record_it_held()
    {
        using (var spool = Open(maxBytes: 1 << 20))
        {
            for (var i = 0; i < 50; i++)
            {
                spool.TryAppend(Record("beacon.p1", Priority.P1, i));
            }
        }

        using var reopened = Open(maxBytes: 1 << 20);
        var lane = Assert.Single(reopened.Lanes);
        Assert.Equal(Priority.P1, lane.Priority);
        Assert.Equal(50, reopened.Records);
    }

    [Fact]
    public void A_spooled_record_keeps_its_route_and_sample_rate()
    {
        using var spool = Open(maxBytes: 1 << 20);
        spool.TryAppend(new SinkRecord("beacon.p2", "visitor"u8, "{\"n\":1}"u8, 42, Priority.P2, "exposure", 0.25));
        var lane = Assert.Single(spool.Lanes);
        lane.Log.Seal();

        using var cursor = new SegmentCursor(lane.Log.DirectoryPath);
        Assert.True(cursor.TryRead(out var record));
        Assert.True(SpoolEntry.TryRead(record.Value.Span, out var route, out var sampleRate, out var value));
        Assert.Equal("exposure", route);
        Assert.Equal(0.25, sampleRate);
        Assert.Equal("{\"n\":1}", Encoding.UTF8.GetString(value));
        Assert.Equal("visitor", Encoding.UTF8.GetString(record.Key.Span));
        Assert.Equal(42, record.TimestampMs);
    }

    [Fact]
    public void A_full_spool_sheds_the_least_important_record_when_nothing_below_it_is_left()
    {
        using var spool = Open(maxBytes: 16 * 1024);
        var appended = 0;
        while (spool.TryAppend(Record("beacon.p3", Priority.P3, appended)))
        {
            appended++;
        }

        Assert.Equal(1, _counters.Shed(Priority.P3));
        Assert.Equal(appended, spool.Records);
        Assert.True(spool.Bytes <= spool.MaxBytes);
    }

    [Fact]
    public void Room_for_p0_is_made_by_evicting_p3_then_p2_then_p1_and_p0_is_shed_only_when_nothing_else_is_left()
    {
        using var spool = Open(maxBytes: 48 * 1024);
        var n = 0;
        foreach (var priority in new[] { Priority.P3, Priority.P2, Priority.P1 })
        {
            for (var i = 0; i < 60; i++)
            {
                Assert.True(spool.TryAppend(Record(TopicOf(priority), priority, n++)));
            }
        }

        // Record which lane lost records as p0 keeps coming, until p0 itself is shed.
        var order = new List<Priority>();
        long[] evicted = [0, 0, 0, 0];
        while (spool.TryAppend(Record("beacon.p0", Priority.P0, n++)))
        {
            foreach (var priority in new[] { Priority.P1, Priority.P2, Priority.P3 })
            {
                if (_counters.Evicted(priority) > evicted[(int)priority])
                {
                    evicted[(int)priority] = _counters.Evicted(priority);
                    if (order.Count == 0 || order[^1] != priority)
                    {
                        order.Add(priority);
                    }
                }
            }
        }

        Assert.Equal([Priority.P3, Priority.P2, Priority.P1], order);
        Assert.Equal(1, _counters.Shed(Priority.P0));
        Assert.All(spool.Lanes.Where(static l => l.Priority != Priority.P0), static l => Assert.Equal(0, l.Log.RecordCount));
        Assert.Equal(60, _counters.Evicted(Priority.P3));
        Assert.Equal(60, _counters.Evicted(Priority.P2));
        Assert.Equal(60, _counters.Evicted(Priority.P1));
        Assert.Equal(0, _counters.Evicted(Priority.P0));
    }

    [Fact]
    public void A_p1_record_never_evicts_p0_or_p1()
    {
        using var spool = Open(maxBytes: 16 * 1024);
        var n = 0;
        while (spool.TryAppend(Record("beacon.p0", Priority.P0, n++)))
        {
        }

        Assert.False(spool.TryAppend(Record("beacon.p1", Priority.P1, n)));
        Assert.Equal(1, _counters.Shed(Priority.P1));
        Assert.Equal(0, _counters.Evicted(Priority.P0));
    }

    [Fact]
    public void The_segment_being_replayed_is_never_evicted()
    {
        using var spool = Open(maxBytes: 16 * 1024);
        var n = 0;
        while (spool.TryAppend(Record("beacon.p3", Priority.P3, n++)))
        {
        }

        var lane = Assert.Single(spool.Lanes);
        var pinned = lane.Log.OldestClosedSegment!;
        spool.Pinned = pinned;
        while (spool.TryAppend(Record("beacon.p0", Priority.P0, n++)))
        {
        }

        Assert.Equal(pinned, lane.Log.OldestClosedSegment);
        Assert.True(File.Exists(pinned));
    }

    [Fact]
    public void Committing_a_replayed_segment_deletes_it_and_counts_its_records_as_replayed()
    {
        using var spool = Open(maxBytes: 1 << 20);
        for (var i = 0; i < 30; i++)
        {
            spool.TryAppend(Record("beacon.p1", Priority.P1, i));
        }

        var lane = Assert.Single(spool.Lanes);
        Assert.True(lane.Log.Seal());
        var segments = lane.Log.ClosedSegments;
        foreach (var segment in segments)
        {
            spool.Commit(lane, segment);
        }

        Assert.Equal(0, spool.Records);
        Assert.Equal(30, _counters.Replayed(Priority.P1));
        Assert.All(segments, static s => Assert.False(File.Exists(s)));
        Assert.Equal(_counters.TotalSpooled, spool.Records + _counters.TotalReplayed + _counters.TotalEvicted);
    }

    [Fact]
    public void A_spooled_record_is_acknowledged_at_the_next_flush_and_a_shed_one_fails_at_once()
    {
        using var spool = Open(maxBytes: 300);
        var waiting = new CountingAcknowledgement();

        Assert.True(spool.TryAppend(WithWaiter(Record("beacon.p0", Priority.P0, 1), waiting)));
        Assert.Equal(0, waiting.Acknowledged);
        Assert.False(spool.TryAppend(WithWaiter(Record("beacon.p0", Priority.P0, 2), waiting)));
        Assert.False(spool.TryAppend(WithWaiter(Record("beacon.p0", Priority.P0, 3), waiting)));
        Assert.Equal(2, waiting.Failed);

        spool.Flush(durable: false);

        Assert.Equal(1, waiting.Acknowledged);
    }

    [Fact]
    public void A_record_that_fits_exactly_is_spooled_and_with_one_byte_less_room_it_is_shed()
    {
        // What the first record of a lane occupies: its segment file's header and its frame.
        long needed;
        using (var measure = new Spool(_temp.Combine("measure"), new SpoolOptions { MaxBytes = 1 << 20 }, new SpoolCounters()))
        {
            Assert.True(measure.TryAppend(Record("beacon.p1", Priority.P1, 1)));
            needed = measure.Bytes;
        }

        using (var exact = new Spool(_temp.Combine("exact"), new SpoolOptions { MaxBytes = needed }, new SpoolCounters()))
        {
            Assert.True(exact.TryAppend(Record("beacon.p1", Priority.P1, 1)));
            Assert.Equal(needed, exact.Bytes);
        }

        var counters = new SpoolCounters();
        using var tight = new Spool(_temp.Combine("tight"), new SpoolOptions { MaxBytes = needed - 1 }, counters);
        Assert.False(tight.TryAppend(Record("beacon.p1", Priority.P1, 1)));
        Assert.Equal(1, counters.Shed(Priority.P1));
        Assert.True(tight.Bytes <= tight.MaxBytes);
    }

    [Theory]
    [InlineData(1 << 20)] // the second record goes into the open segment: its frame alone
    [InlineData(1)] // every record starts a segment: its frame and the new file's header
    public void A_second_record_needs_room_for_exactly_what_it_adds_to_its_lane(long segmentBytes)
    {
        long two;
        using (var measure = new Spool(_temp.Combine("measure"), new SpoolOptions { MaxBytes = 1 << 20, SegmentBytes = segmentBytes }, new SpoolCounters()))
        {
            Assert.True(measure.TryAppend(Record("beacon.p1", Priority.P1, 1)));
            Assert.True(measure.TryAppend(Record("beacon.p1", Priority.P1, 1)));
            two = measure.Bytes;
        }

        using (var exact = new Spool(_temp.Combine("exact"), new SpoolOptions { MaxBytes = two, SegmentBytes = segmentBytes }, new SpoolCounters()))
        {
            Assert.True(exact.TryAppend(Record("beacon.p1", Priority.P1, 1)));
            Assert.True(exact.TryAppend(Record("beacon.p1", Priority.P1, 1)));
            Assert.Equal(two, exact.Bytes);
        }

        var counters = new SpoolCounters();
        using var tight = new Spool(_temp.Combine("tight"), new SpoolOptions { MaxBytes = two - 1, SegmentBytes = segmentBytes }, counters);
        Assert.True(tight.TryAppend(Record("beacon.p1", Priority.P1, 1)));
        Assert.False(tight.TryAppend(Record("beacon.p1", Priority.P1, 1)));
        Assert.Equal(1, counters.Shed(Priority.P1));
        Assert.True(tight.Bytes <= tight.MaxBytes);
    }

    [Fact]
    public void A_reopened_spool_publishes_its_size_before_its_first_flush()
    {
        using (var spool = Open(maxBytes: 1 << 20))
        {
            for (var i = 0; i < 50; i++)
            {
                spool.TryAppend(Record("beacon.p1", Priority.P1, i));
            }
        }

        var counters = new SpoolCounters();
        using var reopened = new Spool(_temp.Path, new SpoolOptions { MaxBytes = 1 << 20, SegmentBytes = 2048 }, counters);

        Assert.Equal(50, counters.Records);
        Assert.Equal(reopened.Bytes, counters.Bytes);
        Assert.Equal(reopened.Lanes.Sum(static l => l.Log.SegmentCount), counters.Segments);
        Assert.NotEqual(counters.Records, counters.Segments);
    }

    [Fact]
    public void Flushing_the_spool_hands_every_spooled_record_to_the_os()
    {
        using var spool = Open(maxBytes: 1 << 20);
        for (var i = 0; i < 3; i++)
        {
            spool.TryAppend(Record("beacon.p1", Priority.P1, i));
        }

        spool.Flush(durable: false);

        var lane = Assert.Single(spool.Lanes);
        var segment = Assert.Single(SegmentFormat.ListSegments(lane.Log.DirectoryPath));
        Assert.Equal(lane.Log.TotalBytes, new FileInfo(segment).Length);
        Assert.Equal(lane.Log.TotalBytes, _counters.Bytes);
        Assert.Equal(3, _counters.Records);
    }

    private static SinkRecord WithWaiter(SinkRecord record, CountingAcknowledgement waiter) =>
        new(record.Topic, record.Key, record.Value, record.TimestampMs, record.Priority, record.Route, record.SampleRate) { Acknowledgement = waiter };

    private Spool Open(long maxBytes) =>
        new(_temp.Path, new SpoolOptions { MaxBytes = maxBytes, SegmentBytes = 2048 }, _counters);

    private static string TopicOf(Priority priority) => $"beacon.p{(int)priority}";

    private static SinkRecord Record(string topic, Priority priority, int n) =>
        new(topic, Encoding.UTF8.GetBytes($"visitor-{n % 7}"), Value, n, priority, "route", 1.0);
}
