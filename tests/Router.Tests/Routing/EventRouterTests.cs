using System.Text;
using System.Text.Json;
using Beacon.Parser.Model;
using Beacon.Router.Routing;
using Beacon.Router.Rules;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Beacon.Router.Tests.Sinks;

namespace Beacon.Router.Tests.Routing;

public sealed class EventRouterTests : IDisposable
{
    private readonly RecordingSink _sink = new();
    private readonly RouterCounters _counters = new();
    private readonly EventRouter _router;

    public EventRouterTests()
    {
        _router = new EventRouter(new RouteTable(new RouteTableOptions()), _sink, _counters);
    }

    public void Dispose() => _sink.Dispose();

    [Fact]
    public void A_good_event_goes_to_its_routes_topic_keyed_by_visitor_id()
    {
        var visitor = Guid.Parse("aabbccdd-eeff-0011-2233-445566778899");
        var beacon = new TestBeacon { Query = TestBeacon.Utf8("e=pv&u=https%3A%2F%2Fexample.com%2F"), VisitorId = visitor };

        Route(beacon);

        var record = Assert.Single(_sink.Records);
        Assert.Equal("beacon.p1", record.Topic);
        Assert.Equal("aabbccddeeff00112233445566778899"u8.ToArray(), record.Key);
        Assert.Equal(TestBeacon.DefaultReceivedAtMs, record.TimestampMs);
        using var doc = JsonDocument.Parse(record.Value);
        Assert.Equal("pv", doc.RootElement.GetProperty("event").GetString());
        Assert.Equal("pageview", doc.RootElement.GetProperty("route").GetString());
        Assert.Equal("aabbccddeeff00112233445566778899", doc.RootElement.GetProperty("visitor_id").GetString());
        Assert.Equal(1, _counters.Routed(Priority.P1));
        Assert.Equal(1, _counters.TotalRouted);
        Assert.Equal(0, _counters.TotalRejected);
    }

    [Theory]
    [InlineData("pay", "beacon.p0", Priority.P0)]
    [InlineData("click", "beacon.p1", Priority.P1)]
    [InlineData("imp", "beacon.p2", Priority.P2)]
    [InlineData("tech", "beacon.p3", Priority.P3)]
    [InlineData("unheard_of", "beacon.p1", Priority.P1)]
    public void Events_are_counted_under_their_routes_priority(string eventType, string topic, Priority priority)
    {
        Route(TestBeacon.Of("e=" + eventType));

        Assert.Equal(topic, Assert.Single(_sink.Records).Topic);
        Assert.Equal(1, _counters.Routed(priority));
        Assert.Equal(1, _counters.TotalRouted);
    }

    [Fact]
    public void A_rejected_event_goes_to_the_dead_letter_topic_with_its_reason_and_raw_input()
    {
        var beacon = TestBeacon.Of("a=shop&u=x");

        Route(beacon);

        var record = Assert.Single(_sink.Records);
        Assert.Equal("beacon.dlq", record.Topic);
        Assert.Equal(Encoding.ASCII.GetBytes(TestBeacon.DefaultVisitor.ToString("N")), record.Key);
        Assert.Equal(TestBeacon.DefaultReceivedAtMs, record.TimestampMs);
        using var doc = JsonDocument.Parse(record.Value);
        Assert.Equal("missing_event_type", doc.RootElement.GetProperty("reason").GetString());
        Assert.Equal("a=shop&u=x", doc.RootElement.GetProperty("raw").GetString());
        Assert.Equal(1, _counters.Rejected(RejectReason.MissingEventType));
        Assert.Equal(1, _counters.TotalRejected);
        Assert.Equal(0, _counters.TotalRouted);
    }

    [Fact]
    public void An_event_rejected_after_decoding_goes_to_the_dead_letter_topic()
    {
        var beacon = TestBeacon.Of("e=pv");
        var evt = beacon.Decode();
        evt.Reject(RejectReason.InternalError);

        _router.Route(beacon.Raw, evt);

        var record = Assert.Single(_sink.Records);
        Assert.Equal("beacon.dlq", record.Topic);
        using var doc = JsonDocument.Parse(record.Value);
        Assert.Equal("internal_error", doc.RootElement.GetProperty("reason").GetString());
        Assert.Equal(1, _counters.Rejected(RejectReason.InternalError));
        Assert.Equal(0, _counters.TotalRouted);
    }

    [Fact]
    public void The_route_the_url_names_sends_a_page_view_to_p0()
    {
        Route(new TestBeacon { Query = TestBeacon.Utf8("e=pv"), Route = TestBeacon.Utf8("order") });

        var record = Assert.Single(_sink.Records);
        Assert.Equal("beacon.p0", record.Topic);
        using var doc = JsonDocument.Parse(record.Value);
        Assert.Equal("order", doc.RootElement.GetProperty("route").GetString());
        Assert.Equal("p0", doc.RootElement.GetProperty("priority").GetString());
        Assert.Equal(1, _counters.Routed(Priority.P0));
        Assert.Equal(0, _counters.Routed(Priority.P1));
    }

    [Fact]
    public void Each_record_keeps_its_own_key_and_value()
    {
        var first = Guid.Parse("11111111111111111111111111111111");
        var second = Guid.Parse("22222222222222222222222222222222");

        Route(new TestBeacon { Query = TestBeacon.Utf8("e=pay&amount=10"), VisitorId = first });
        Route(new TestBeacon { Query = TestBeacon.Utf8("e=pv"), VisitorId = second });

        Assert.Equal(2, _sink.Records.Count);
        Assert.Equal(Encoding.ASCII.GetBytes(first.ToString("N")), _sink.Records[0].Key);
        Assert.Equal(Encoding.ASCII.GetBytes(second.ToString("N")), _sink.Records[1].Key);
        using var doc = JsonDocument.Parse(_sink.Records[0].Value);
        Assert.Equal("10", doc.RootElement.GetProperty("props").GetProperty("amount").GetString());
    }

    [Fact]
    public void Routed_records_read_back_from_segment_files_by_topic()
    {
        using var temp = new TempDirectory();
        var counters = new RouterCounters();
        using (var sink = new SegmentFileSink(temp.Path, new SegmentLogOptions(), new ManualTimeProvider()))
        {
            var router = new EventRouter(new RouteTable(new RouteTableOptions()), sink, counters);
            foreach (var query in new[] { "e=pay", "e=pv", "e=err", "e=refund", "x=%ZZ" })
            {
                var beacon = TestBeacon.Of(query);
                router.Route(beacon.Raw, beacon.Decode());
            }

            sink.Flush(durable: false);
        }

        Assert.Equal(new[] { "pay", "refund" }, EventsIn(temp.Path, "beacon.p0", "event"));
        Assert.Equal(new[] { "pv" }, EventsIn(temp.Path, "beacon.p1", "event"));
        Assert.Equal(new[] { "err" }, EventsIn(temp.Path, "beacon.p3", "event"));
        Assert.Equal(new[] { "invalid_percent_encoding" }, EventsIn(temp.Path, "beacon.dlq", "reason"));
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "beacon.p2")));
        Assert.Equal(2, counters.Routed(Priority.P0));
        Assert.Equal(4, counters.TotalRouted);
        Assert.Equal(1, counters.Rejected(RejectReason.InvalidPercentEncoding));
    }

    [Fact]
    public void An_anonymous_event_has_no_key_so_the_sink_spreads_it_over_partitions()
    {
        Route(new TestBeacon { Query = TestBeacon.Utf8("e=pv"), VisitorId = Guid.Empty });
        Route(new TestBeacon { Query = TestBeacon.Utf8("a=shop"), VisitorId = Guid.Empty });

        Assert.Equal(["beacon.p1", "beacon.dlq"], _sink.Records.Select(static r => r.Topic));
        Assert.All(_sink.Records, static r => Assert.Empty(r.Key));
    }

    [Theory]
    [InlineData("""{"rules":[{"id":"none","action":"sample","rate":0}]}""", RuleOutcome.SampledOut)]
    [InlineData("""{"rules":[{"id":"none","action":"drop"}]}""", RuleOutcome.Dropped)]
    public void An_event_a_rule_does_not_keep_is_acknowledged_at_once_and_not_written(string rules, RuleOutcome outcome)
    {
        var book = Book(rules);
        var router = new EventRouter(new RouteTable(new RouteTableOptions()), _sink, _counters, book);
        var acknowledgement = new CountingAcknowledgement();
        var beacon = TestBeacon.Of("e=pv");

        router.Route(beacon.Raw, beacon.Decode(), acknowledgement);

        Assert.Empty(_sink.Records);
        Assert.Equal(1, acknowledgement.Acknowledged);
        Assert.Equal(1, _counters.Outcome(Priority.P1, outcome));
        Assert.Equal(0, _counters.TotalRouted);
    }

    [Fact]
    public void A_sampled_event_that_is_kept_carries_its_rules_rate()
    {
        var router = new EventRouter(new RouteTable(new RouteTableOptions()), _sink, _counters, Book("""{"rules":[{"id":"half","action":"sample","rate":0.5}]}"""));
        var kept = Enumerable.Range(0, 64).Select(static i => new Guid(i, 0, 0, new byte[8]))
            .First(static v => DeviceSampler.Keeps("half"u8, Encoding.ASCII.GetBytes(v.ToString("N")), 0.5));

        Route(router, new TestBeacon { Query = TestBeacon.Utf8("e=pv"), VisitorId = kept });

        using var doc = JsonDocument.Parse(Assert.Single(_sink.Records).Value);
        Assert.Equal(0.5, doc.RootElement.GetProperty("sample_rate").GetDouble());
    }

    [Fact]
    public void Anonymous_events_are_sampled_each_by_its_own_event_id()
    {
        var router = new EventRouter(new RouteTable(new RouteTableOptions()), _sink, _counters, Book("""{"rules":[{"id":"half","action":"sample","rate":0.5}]}"""));

        for (var i = 0; i < 64; i++)
        {
            var beacon = new TestBeacon { Query = TestBeacon.Utf8("e=pv"), VisitorId = Guid.Empty };
            var evt = beacon.Decode();
            var expected = DeviceSampler.Keeps("half"u8, Encoding.ASCII.GetBytes(evt.GeneratedEventId.ToString("N")), 0.5);
            var before = _sink.Records.Count;

            router.Route(beacon.Raw, evt);

            Assert.Equal(expected ? before + 1 : before, _sink.Records.Count);
        }

        // Per event, not one shared id for every anonymous visitor: both outcomes occur.
        Assert.InRange(_sink.Records.Count, 1, 63);
    }

    private void Route(TestBeacon beacon) => _router.Route(beacon.Raw, beacon.Decode());

    private static void Route(EventRouter router, TestBeacon beacon) => router.Route(beacon.Raw, beacon.Decode());

    private static RuleBook Book(string json)
    {
        var book = new RuleBook();
        Assert.True(book.Accept(new RuleSet(1, RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(json), null))));
        return book;
    }

    private static List<string> EventsIn(string data, string topic, string field)
    {
        var values = new List<string>();
        using var cursor = new SegmentCursor(SegmentFileSink.TopicDirectory(data, topic));
        while (cursor.TryRead(out var record))
        {
            using var doc = JsonDocument.Parse(record.Value);
            values.Add(doc.RootElement.GetProperty(field).GetString()!);
            Assert.Equal(Encoding.ASCII.GetBytes(TestBeacon.DefaultVisitor.ToString("N")), record.Key.ToArray());
        }

        return values;
    }

    /// <summary>Keeps copies of what it was given: the spans are only valid during Append.</summary>
    private sealed class RecordingSink : IRecordSink
    {
        public List<(string Topic, byte[] Key, byte[] Value, long TimestampMs)> Records { get; } = [];

        public void Append(in SinkRecord record) =>
            Records.Add((record.Topic, record.Key.ToArray(), record.Value.ToArray(), record.TimestampMs));

        public void Flush(bool durable)
        {
        }

        public void Dispose()
        {
        }
    }
}
