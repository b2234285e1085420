using System.Text;
using System.Text.Json;
using Beacon.Router.Routing;
using Beacon.Router.Rules;
using Beacon.Router.Sinks;
using Beacon.Router.Tests.Sinks;

namespace Beacon.Router.Tests.Rules;

/// <summary>Hold then lift, through the real router: deferred records all come back, in order, at the release rate.</summary>
public sealed class HoldLanesTests : IDisposable
{
    private static readonly RouteTable Table = new(new RouteTableOptions());
    private readonly TempDirectory _directory = new();
    private readonly ManualTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(TestBeacon.DefaultReceivedAtMs));
    private readonly CollectingSink _sink = new();
    private readonly RuleBook _book = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Held_records_wait_and_are_released_in_order_at_the_bounded_rate_once_lifted()
    {
        using var holds = Lanes(releasePerSecond: 100);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Apply("""{"rules":[{"id":"hold-exposure","action":"hold","scope":{"route":["exposure"]}}]}""");

        for (var i = 0; i < 250; i++)
        {
            Route(router, $"e=exp&n={i}");
            Route(router, $"e=pv&n={i}");
        }

        router.ReleaseHeld();
        router.Flush(durable: true);
        Assert.Equal(250, _sink.Values.Count); // page views only
        Assert.Equal(250, _book.CounterFor("hold-exposure").Held);
        Assert.Equal(250, holds.Waiting);

        Lift();
        Assert.Equal(100, router.ReleaseHeld()); // one second's worth
        Assert.Equal(0, router.ReleaseHeld());   // no time has passed
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(100, router.ReleaseHeld()); // the bucket holds at most a second
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(50, router.ReleaseHeld());
        router.Flush(durable: true);

        var released = _sink.Values.Skip(250).Select(static v => v.GetProperty("props").GetProperty("n").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 250).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), released);
        Assert.All(_sink.Values.Skip(250), static v => Assert.Equal("exposure", v.GetProperty("route").GetString()));
        Assert.Equal(250, _book.CounterFor("hold-exposure").Released);
        Assert.Empty(Directory.GetDirectories(_directory.Path)); // the lane is gone once released and flushed
    }

    [Fact]
    public void A_restart_during_a_release_neither_loses_nor_repeats_records()
    {
        Hold();
        using (var first = Lanes(releasePerSecond: 40))
        {
            var router = new EventRouter(Table, _sink, new RouterCounters(), _book, first);
            for (var i = 0; i < 100; i++)
            {
                Route(router, $"e=pv&n={i}");
            }

            router.Flush(durable: true);
        }

        Apply("""{"rules":[]}""");
        using (var holds = Lanes(releasePerSecond: 40))
        {
            var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
            _time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(40, router.ReleaseHeld());
            router.Flush(durable: true);
            // The process stops part-way.
        }

        using (var last = Lanes(releasePerSecond: 1000))
        {
            var router = new EventRouter(Table, _sink, new RouterCounters(), _book, last);
            _time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(60, router.ReleaseHeld());
            router.Flush(durable: true);
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _sink.Values.Select(static v => v.GetProperty("props").GetProperty("n").GetString()));
    }

    [Fact]
    public void A_full_lane_writes_records_through_instead_of_losing_them()
    {
        using var holds = Lanes(releasePerSecond: 10, maxBytes: 2000);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Hold();

        for (var i = 0; i < 50; i++)
        {
            Route(router, $"e=pv&n={i}");
        }

        router.Flush(durable: true);
        var held = _book.CounterFor("h").Held;
        Assert.InRange(held, 1, 49);
        Assert.Equal(50 - held, _sink.Values.Count);
    }

    [Fact]
    public void A_hold_that_ends_by_its_time_window_is_released_without_a_change()
    {
        var end = _time.GetUtcNow().AddMinutes(5).ToString("O");
        using var holds = Lanes(releasePerSecond: 1000);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Apply($$"""{"rules":[{"id":"h","action":"hold","end":"{{end}}"}]}""");
        Route(router, "e=pv");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, router.ReleaseHeld());

        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(1, router.ReleaseHeld());
    }

    [Fact]
    public void A_lane_takes_records_up_to_exactly_its_byte_limit()
    {
        var (one, two) = MeasureLane();

        using var holds = Lanes(releasePerSecond: 10, maxBytes: two);
        var limited = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        for (var i = 0; i < 3; i++)
        {
            Route(limited, "e=pv");
        }

        Assert.True(two > one);
        Assert.Equal(2, holds.Waiting);
        Assert.Single(_sink.Values); // the third did not fit: written through
    }

    [Fact]
    public void A_lane_never_takes_more_disk_than_its_limit()
    {
        var (one, two) = MeasureLane();

        using var holds = Lanes(releasePerSecond: 10, maxBytes: two - 1);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Route(router, "e=pv");
        Route(router, "e=pv");
        router.Flush(durable: true);

        Assert.Equal(1, holds.Waiting);
        Assert.Equal(one, LaneBytes(_directory.Combine("h")));
        Assert.Single(_sink.Values); // the second did not fit: written through
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(-1, 1)]
    public void A_record_that_starts_a_new_lane_segment_counts_the_files_header_against_the_limit(int belowTwo, int held)
    {
        // Segments of one record each: the second record brings a new file's header as well as its frame.
        var (one, two) = MeasureLane(segmentBytes: 1);

        using var holds = Lanes(releasePerSecond: 10, maxBytes: two + belowTwo, segmentBytes: 1);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Route(router, "e=pv");
        Route(router, "e=pv");
        router.Flush(durable: true);

        Assert.Equal(held, holds.Waiting);
        Assert.Equal(held == 2 ? two : one, LaneBytes(_directory.Combine("h")));
        Assert.Equal(2 - held, _sink.Values.Count); // what did not fit was written through
    }

    [Fact]
    public void Releasing_again_before_the_flush_deletes_a_finished_lane_once()
    {
        using var holds = Lanes(releasePerSecond: 100);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Hold();
        Route(router, "e=pv&n=0");
        Lift();

        Assert.Equal(1, router.ReleaseHeld());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, router.ReleaseHeld());
        router.Flush(durable: true);

        Assert.Empty(Directory.GetDirectories(_directory.Path));
        Assert.Equal(1, _book.CounterFor("h").Released);
    }

    [Fact]
    public void A_hold_that_comes_back_before_its_released_lane_is_deleted_keeps_what_it_holds_then()
    {
        using var holds = Lanes(releasePerSecond: 100);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Hold();
        Route(router, "e=pv&n=0");
        Route(router, "e=pv&n=1");
        Lift();
        Assert.Equal(2, router.ReleaseHeld());

        // The hold returns before a durable flush deleted the released lane.
        Hold();
        Route(router, "e=pv&n=2");
        Route(router, "e=pv&n=3");
        router.Flush(durable: true);
        Assert.Equal(2, holds.Waiting);

        Lift();
        Assert.Equal(2, router.ReleaseHeld());
        Assert.Equal(["0", "1", "2", "3"], _sink.Values.Select(static v => v.GetProperty("props").GetProperty("n").GetString()));
    }

    [Fact]
    public void A_client_waiting_for_a_held_record_is_acknowledged_once_its_lane_is_flushed()
    {
        using var holds = Lanes(releasePerSecond: 100);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Hold();
        var acknowledgement = new CountingAcknowledgement();
        var beacon = TestBeacon.Of("e=pv");

        router.Route(beacon.Raw, beacon.Decode(), acknowledgement);
        Assert.Equal(0, acknowledgement.Acknowledged);
        router.Flush(durable: false); // a waiter makes the flush durable

        Assert.Equal(1, acknowledgement.Acknowledged);
        Assert.Empty(_sink.Values);
    }

    [Fact]
    public void A_released_lane_is_deleted_only_after_a_durable_flush()
    {
        using var holds = Lanes(releasePerSecond: 100);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Hold();
        Route(router, "e=pv");
        router.Flush(durable: true);
        Lift();
        Assert.Equal(1, router.ReleaseHeld());

        router.Flush(durable: false);
        Assert.True(Directory.Exists(_directory.Combine("h")));

        router.Flush(durable: true);
        Assert.False(Directory.Exists(_directory.Combine("h")));
    }

    [Fact]
    public void A_released_record_keeps_its_topic_priority_key_route_and_timestamp()
    {
        using var holds = Lanes(releasePerSecond: 100);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Hold();
        Route(router, "e=imp");
        Lift();

        Assert.Equal(1, router.ReleaseHeld());

        var released = Assert.Single(_sink.Records);
        Assert.Equal("beacon.p2", released.Topic);
        Assert.Equal(Priority.P2, released.Priority);
        Assert.Equal("exposure", released.Route);
        Assert.Equal(TestBeacon.DefaultVisitor.ToString("N"), Encoding.ASCII.GetString(released.Key));
        Assert.Equal(TestBeacon.DefaultReceivedAtMs, released.TimestampMs);
    }

    [Fact]
    public void A_hold_replaced_by_another_action_under_the_same_id_releases_what_it_held()
    {
        using var holds = Lanes(releasePerSecond: 100);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, holds);
        Apply("""{"rules":[{"id":"h","action":"hold","scope":{"event":["pv"]}}]}""");
        Route(router, "e=pv");
        Apply("""{"rules":[{"id":"h","action":"drop","scope":{"event":["pv"]}}]}""");
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, router.ReleaseHeld());
    }

    private HoldLanes Lanes(int releasePerSecond, long maxBytes = 1L << 30, long segmentBytes = 16L << 20) =>
        new(_directory.Path, new HoldOptions { ReleaseRecordsPerSecond = releasePerSecond, MaxBytesPerRule = maxBytes, SegmentBytes = segmentBytes }, _book, _time);

    /// <summary>The disk a hold lane "h" takes with one and with two identical records, measured in a lane without a limit.</summary>
    private (long One, long Two) MeasureLane(long segmentBytes = 16L << 20)
    {
        Hold();
        using var measured = new TempDirectory();
        using var unlimited = new HoldLanes(measured.Path, new HoldOptions { SegmentBytes = segmentBytes }, _book, _time);
        var router = new EventRouter(Table, _sink, new RouterCounters(), _book, unlimited);
        Route(router, "e=pv");
        router.Flush(durable: true);
        var one = LaneBytes(measured.Combine("h"));
        Route(router, "e=pv");
        router.Flush(durable: true);
        return (one, LaneBytes(measured.Combine("h")));
    }

    private static long LaneBytes(string lane) => new DirectoryInfo(lane).GetFiles().Sum(static f => f.Length);

    /// <summary>Rule "h" holds every event.</summary>
    private void Hold() => Apply("""{"rules":[{"id":"h","action":"hold"}]}""");

    /// <summary>Lifts every rule, and lets the second the release rate is counted over pass.</summary>
    private void Lift()
    {
        Apply("""{"rules":[]}""");
        _time.Advance(TimeSpan.FromSeconds(1));
    }

    private void Apply(string json)
    {
        var rules = RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(json), null);
        Assert.True(_book.Accept(new RuleSet(_book.Current.Version + 1, rules)));
    }

    private static void Route(EventRouter router, string query)
    {
        var beacon = TestBeacon.Of(query);
        router.Route(beacon.Raw, beacon.Decode());
    }

    private sealed class CollectingSink : IRecordSink
    {
        public List<JsonElement> Values { get; } = [];

        public List<(string Topic, Priority Priority, string Route, byte[] Key, long TimestampMs)> Records { get; } = [];

        public void Append(in SinkRecord record)
        {
            Values.Add(JsonDocument.Parse(record.Value.ToArray()).RootElement.Clone());
            Records.Add((record.Topic, record.Priority, record.Route, record.Key.ToArray(), record.TimestampMs));
        }

        public void Flush(bool durable)
        {
        }

        public void Dispose()
        {
        }
    }
}
