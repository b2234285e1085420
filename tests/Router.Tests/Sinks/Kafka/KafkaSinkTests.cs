using System.Diagnostics;
using System.Globalization;
using System.Text;
using Beacon.Router.Routing;
using Beacon.Router.Sinks;
using Beacon.Router.Sinks.Kafka;
using Beacon.Router.Spooling;
using Beacon.Tests.Kafka;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace Beacon.Router.Tests.Sinks.Kafka;

/// <summary>The Kafka sink against librdkafka's mock cluster: the real protocol over loopback TCP.</summary>
public sealed class KafkaSinkTests : IDisposable
{
    private static readonly string[] Topics = ["beacon.p0", "beacon.p1", "beacon.p2", "beacon.p3", "beacon.dlq"];
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);
    private readonly KafkaMockCluster _cluster = new();
    private readonly TempDirectory _temp = new();
    private readonly KafkaSinkCounters _counters = new();
    private readonly SpoolCounters _spoolCounters = new();
    private readonly SpoolOptions _spoolOptions = new()
    {
        SegmentBytes = 64 * 1024,
        ProbeInterval = TimeSpan.FromMilliseconds(300),
        ReplayRecordsPerSecond = 200_000,
    };

    public KafkaSinkTests()
    {
        foreach (var topic in Topics)
        {
            _cluster.CreateTopic(topic, partitions: 4);
        }
    }

    public void Dispose()
    {
        _cluster.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Records_reach_their_priority_topic_keyed_by_visitor_with_beacon_headers()
    {
        using var reader = new TopicReader(_cluster.BootstrapServers, Topics);
        using (var sink = OpenSink())
        {
            for (var n = 0; n < 1000; n++)
            {
                sink.Append(Record(n));
            }

            sink.Flush(durable: false);
        }

        var records = await reader.WaitForAsync(1000, Patience);

        Assert.Equal(Enumerable.Range(0, 1000), records.Select(NumberOf).Order());
        Assert.All(records, static r =>
        {
            var n = NumberOf(r);
            var priority = (Priority)(n % 4);
            Assert.Equal($"beacon.p{(int)priority}", r.Topic);
            Assert.Equal($"visitor-{n % 10}", Encoding.UTF8.GetString(r.Message.Key));
            Assert.Equal("1", Header(r, KafkaHeaders.Schema));
            Assert.Equal($"p{(int)priority}", Header(r, KafkaHeaders.Priority));
            Assert.Equal($"route-{(int)priority}", Header(r, KafkaHeaders.Route));
            Assert.Equal(n % 4 == 2 ? "0.25" : "1", Header(r, KafkaHeaders.SampleRate));
            Assert.Equal(1_700_000_000_000 + n, r.Message.Timestamp.UnixTimestampMs);
        });
        Assert.Equal(1000, _counters.Delivered);
        Assert.Equal(0, _spoolCounters.TotalSpooled);
    }

    [Fact]
    public async Task With_headers_off_records_still_reach_their_topic_keyed_by_visitor_but_carry_no_headers()
    {
        using var reader = new TopicReader(_cluster.BootstrapServers, Topics);
        using (var sink = OpenSink(headers: false))
        {
            for (var n = 0; n < 200; n++)
            {
                sink.Append(Record(n));
            }

            sink.Flush(durable: false);
        }

        var records = await reader.WaitForAsync(200, Patience);

        Assert.Equal(Enumerable.Range(0, 200), records.Select(NumberOf).Order());
        Assert.All(records, static r =>
        {
            var n = NumberOf(r);
            Assert.Equal($"beacon.p{n % 4}", r.Topic);
            Assert.Equal($"visitor-{n % 10}", Encoding.UTF8.GetString(r.Message.Key));
            Assert.Empty(r.Message.Headers ?? []);
        });
        Assert.Equal(200, _counters.Delivered);
    }

    [Fact]
    public async Task A_broker_outage_spools_what_kafka_cannot_take_and_replays_it_when_kafka_is_back()
    {
        const int total = 3000;
        using var reader = new TopicReader(_cluster.BootstrapServers, Topics);
        using var sink = OpenSink();
        for (var n = 0; n < 500; n++)
        {
            sink.Append(Record(n));
        }

        await SettleAsync(sink, () => _counters.Delivered == 500);
        _cluster.TakeBrokersDown();
        for (var n = 500; n < total; n++)
        {
            sink.Append(Record(n));
            if (n % 100 == 0)
            {
                sink.Flush(durable: false);
            }
        }

        // Everything Kafka could not take is in the spool, and the books balance while it waits.
        await SettleAsync(sink, () => _counters.InFlight == 0 && sink.Spool.Records > 0);
        Assert.False(sink.IsHealthy);
        Assert.True(sink.IsReady);
        AssertAccountingHolds(sink, total);

        _cluster.BringBrokersUp();
        await SettleAsync(sink, () => sink.Spool.Records == 0);
        AssertAccountingHolds(sink, total);
        Assert.True(sink.IsHealthy);

        var records = await reader.WaitForAsync(total, Patience);
        Assert.Equal(Enumerable.Range(0, total), records.Select(NumberOf).Distinct().Order());
        Assert.All(records.GroupBy(NumberOf), static copies =>
            Assert.Single(copies.Select(static c => Encoding.UTF8.GetString(c.Message.Value)).Distinct()));
        Assert.True(_spoolCounters.TotalReplayed > 0);

        // Spooled and replayed records keep the time they were received and their headers, whichever way they reached the spool.
        Assert.All(records, static r =>
        {
            var n = NumberOf(r);
            Assert.Equal(1_700_000_000_000 + n, r.Message.Timestamp.UnixTimestampMs);
            Assert.Equal($"p{n % 4}", Header(r, KafkaHeaders.Priority));
            Assert.Equal($"route-{n % 4}", Header(r, KafkaHeaders.Route));
            Assert.Equal(n % 4 == 2 ? "0.25" : "1", Header(r, KafkaHeaders.SampleRate));
        });
    }

    [Fact]
    public async Task Records_spooled_before_a_restart_are_replayed_by_the_next_sink()
    {
        using var reader = new TopicReader(_cluster.BootstrapServers, Topics);
        _cluster.TakeBrokersDown();
        using (var sink = OpenSink())
        {
            for (var n = 0; n < 500; n++)
            {
                sink.Append(Record(n));
            }

            sink.Flush(durable: true);
        }

        Assert.Equal(500, _spoolCounters.TotalSpooled);
        _cluster.BringBrokersUp();
        using (var restarted = OpenSink())
        {
            Assert.Equal(500, restarted.Spool.Records);
            await SettleAsync(restarted, () => restarted.Spool.Records == 0);
        }

        var records = await reader.WaitForAsync(500, Patience);
        Assert.Equal(Enumerable.Range(0, 500), records.Select(NumberOf).Distinct().Order());
    }

    [Fact]
    public async Task A_replay_that_fails_part_way_keeps_the_segment_counts_what_kafka_took_as_duplicates_and_replays_it_all_later()
    {
        // Thirty p0 records (one lane, one segment) wait in the spool; the replay sends ten per second of the sink's clock.
        _spoolOptions.ReplayRecordsPerSecond = 10;
        var numbers = Enumerable.Range(0, 30).Select(static i => i * 4).ToList();
        using (var spool = new Spool(_temp.Path, _spoolOptions, _spoolCounters))
        {
            foreach (var n in numbers)
            {
                Assert.True(spool.TryAppend(Record(n)));
            }

            spool.Flush(durable: true);
        }

        var clock = new ManualTimeProvider();
        using var reader = new TopicReader(_cluster.BootstrapServers, Topics);
        using var sink = OpenSink(time: clock);

        // Kafka takes the segment's first ten records.
        clock.Advance(TimeSpan.FromSeconds(1));
        await SettleAsync(sink, () => reader.Count >= 10);

        // It refuses the next Produce request, so some of the next ten fail: the replay has failed part-way.
        _cluster.FailNextProduceRequests(ErrorCode.InvalidRecord);
        clock.Advance(TimeSpan.FromSeconds(1));
        await SettleAsync(sink, () => _counters.ReplayDuplicates > 0);

        // Nothing was deleted; what Kafka took (the first ten, and some of the next ten) will reach it twice.
        Assert.Equal(numbers.Count, sink.Spool.Records);
        Assert.Equal(0, _spoolCounters.TotalReplayed);
        var duplicates = _counters.ReplayDuplicates;
        Assert.InRange(duplicates, 10, 19);

        // The segment is replayed later, whole, and then deleted.
        await SettleAsync(sink, () => sink.Spool.Records == 0, clock);
        Assert.Equal(numbers.Count, _spoolCounters.TotalReplayed);
        Assert.Equal(duplicates, _counters.ReplayDuplicates);

        // Every record reached Kafka, as it was spooled; the duplicates are exactly the records Kafka took
        // before the failure (all of the first ten, none past the twentieth), each twice.
        var records = await reader.WaitForAsync(numbers.Count + (int)duplicates, Patience);
        Assert.Equal(numbers, records.Select(NumberOf).Distinct().Order());
        Assert.Equal(numbers.Count + duplicates, records.Count);
        var twice = records.GroupBy(NumberOf).Where(static copies => copies.Count() > 1).ToList();
        Assert.Equal(duplicates, twice.Count);
        Assert.All(twice, static copies => Assert.Equal(2, copies.Count()));
        Assert.Subset(numbers.Take(20).ToHashSet(), twice.Select(static copies => copies.Key).ToHashSet());
        Assert.Superset(numbers.Take(10).ToHashSet(), twice.Select(static copies => copies.Key).ToHashSet());
        Assert.All(records, static r =>
        {
            var n = NumberOf(r);
            Assert.Equal($"visitor-{n % 10}", Encoding.UTF8.GetString(r.Message.Key));
            Assert.Equal(1_700_000_000_000 + n, r.Message.Timestamp.UnixTimestampMs);
            Assert.Equal("route-0", Header(r, KafkaHeaders.Route));
        });
    }

    [Fact]
    public async Task With_kafka_down_a_full_spool_keeps_p0_and_sheds_the_rest_and_the_books_still_balance()
    {
        const int total = 4000;
        _spoolOptions.MaxBytes = 96 * 1024;
        _spoolOptions.SegmentBytes = 4096;
        using var reader = new TopicReader(_cluster.BootstrapServers, Topics);
        _cluster.TakeBrokersDown();
        using var sink = OpenSink();
        for (var n = 0; n < total; n++)
        {
            sink.Append(Record(n));
            if (n % 100 == 0)
            {
                sink.Flush(durable: false);
            }
        }

        await SettleAsync(sink, () => _counters.InFlight == 0);
        AssertAccountingHolds(sink, total);
        Assert.Equal(0, _spoolCounters.Shed(Priority.P0) + _spoolCounters.Evicted(Priority.P0));
        Assert.True(_spoolCounters.Shed(Priority.P3) + _spoolCounters.Evicted(Priority.P3) > 0);
        Assert.True(sink.Spool.Bytes <= _spoolOptions.MaxBytes);

        _cluster.BringBrokersUp();
        await SettleAsync(sink, () => sink.Spool.Records == 0);
        AssertAccountingHolds(sink, total);
        var p0 = Enumerable.Range(0, total).Where(static n => n % 4 == 0).ToList();
        var records = await reader.WaitForAsync(p0.Count, Patience);
        Assert.Equal(p0, records.Where(static r => r.Topic == "beacon.p0").Select(NumberOf).Distinct().Order());
    }

    [Fact]
    public void Producer_defaults_suit_a_collector_and_any_librdkafka_property_passes_through()
    {
        var options = new KafkaSinkOptions { BootstrapServers = "k:9092" };
        options.Properties["linger.ms"] = "20";
        options.Properties["security.protocol"] = "SASL_SSL";

        var config = KafkaSink.ProducerConfigFor(options);

        Assert.Equal(Acks.All, config.Acks);
        Assert.True(config.EnableIdempotence);
        Assert.Equal(CompressionType.Lz4, config.CompressionType);
        Assert.Equal(20, config.LingerMs);
        Assert.Equal("SASL_SSL", config.Get("security.protocol"));
        Assert.True(config.MessageTimeoutMs < options.ShutdownFlushTimeout.TotalMilliseconds);
        Assert.False(options.Headers); // the JSON carries the same fields; headers are opt-in

        // The sink keeps each record's key, value and route itself: reports need only the status.
        Assert.Equal("status", config.DeliveryReportFields);
    }

    [Fact]
    public async Task A_waiting_client_is_told_when_kafka_takes_its_records_and_when_the_spool_holds_them_durably()
    {
        using var sink = OpenSink();
        var delivered = new CountingAcknowledgement();
        for (var n = 0; n < 100; n++)
        {
            sink.Append(WithWaiter(Record(n), delivered));
        }

        await SettleAsync(sink, () => delivered.Acknowledged == 100);
        Assert.Equal(0, delivered.Failed);

        _cluster.TakeBrokersDown();
        var spooled = new CountingAcknowledgement();
        for (var n = 100; n < 200; n++)
        {
            sink.Append(WithWaiter(Record(n), spooled));
        }

        // Kafka fails them (or they skip it): each is acknowledged once the spool has fsynced it.
        await SettleAsync(sink, () => spooled.Acknowledged == 100);
        Assert.Equal(0, spooled.Failed);
        Assert.Equal(100, sink.Spool.Records);
    }

    [Fact]
    public async Task While_kafka_is_failing_new_records_go_straight_to_the_spool()
    {
        using var sink = OpenSink();
        _cluster.TakeBrokersDown();
        sink.Append(Record(0));
        await SettleAsync(sink, () => !sink.IsHealthy && _counters.InFlight == 0);
        var produced = _counters.Produced;
        var spooled = _spoolCounters.TotalSpooled;

        for (var n = 1; n <= 100; n++)
        {
            sink.Append(Record(n));
        }

        Assert.Equal(produced, _counters.Produced);
        Assert.Equal(spooled + 100, _spoolCounters.TotalSpooled);
    }

    [Fact]
    public async Task One_failed_delivery_sends_the_next_records_to_the_spool_and_a_successful_replay_brings_back_live_produce()
    {
        using var reader = new TopicReader(_cluster.BootstrapServers, Topics);
        using var sink = OpenSink();
        sink.Append(Record(0));
        await SettleAsync(sink, () => _counters.Delivered == 1);
        Assert.True(sink.IsHealthy);

        // The brokers stay up; Kafka refuses one Produce request. That one failure is enough.
        _cluster.FailNextProduceRequests(ErrorCode.InvalidRecord);
        sink.Append(Record(1));
        await SettleAsync(sink, () => _counters.Failed == 1);
        Assert.False(sink.IsHealthy);
        var produced = _counters.Produced;
        sink.Append(Record(2));
        Assert.Equal(produced, _counters.Produced);

        // The replayer's probe succeeds, the spool drains, and records are produced live again.
        await SettleAsync(sink, () => sink.IsHealthy && sink.Spool.Records == 0);
        Assert.Equal(2, _spoolCounters.TotalReplayed);
        sink.Append(Record(3));
        Assert.Equal(produced + 1, _counters.Produced);
        await SettleAsync(sink, () => _counters.Delivered == 2);

        var records = await reader.WaitForAsync(4, Patience);
        Assert.Equal([0, 1, 2, 3], records.Select(NumberOf).Order());
    }

    [Fact]
    public void A_shutdown_flush_timeout_no_longer_than_the_message_timeout_is_refused()
    {
        var options = new KafkaSinkOptions { BootstrapServers = _cluster.BootstrapServers, ShutdownFlushTimeout = TimeSpan.FromSeconds(2) };
        options.Properties["message.timeout.ms"] = "2000";
        using var spool = new Spool(_temp.Path, _spoolOptions, _spoolCounters);

        Assert.Throws<ArgumentException>(() =>
        {
            using var sink = new KafkaSink(options, spool, _spoolOptions, _counters, NullLogger<KafkaSink>.Instance);
        });
    }

    [Fact]
    public void Records_a_client_waits_for_are_acknowledged_once_a_sink_shutting_down_with_kafka_down_has_spooled_them()
    {
        _cluster.TakeBrokersDown();
        var waiter = new CountingAcknowledgement();
        using (var sink = OpenSink())
        {
            for (var n = 0; n < 50; n++)
            {
                sink.Append(WithWaiter(Record(n), waiter));
            }
        }

        Assert.Equal(50, _spoolCounters.TotalSpooled);
        Assert.Equal(50, waiter.Acknowledged);
        Assert.Equal(0, waiter.Failed);
    }

    private KafkaSink OpenSink(bool headers = true, TimeProvider? time = null)
    {
        var options = new KafkaSinkOptions { BootstrapServers = _cluster.BootstrapServers, ShutdownFlushTimeout = TimeSpan.FromSeconds(5), Headers = headers };
        options.Properties["message.timeout.ms"] = "2000";
        options.Properties["reconnect.backoff.max.ms"] = "500";
        var spool = new Spool(_temp.Path, _spoolOptions, _spoolCounters);
        return new KafkaSink(options, spool, _spoolOptions, _counters, NullLogger<KafkaSink>.Instance, time);
    }

    /// <summary>
    /// Drives the sink as the pipeline thread does until <paramref name="done"/> holds; with a
    /// <paramref name="sinkClock"/>, the sink's time moves on 100 ms between flushes.
    /// </summary>
    private static async Task SettleAsync(KafkaSink sink, Func<bool> done, ManualTimeProvider? sinkClock = null)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(clock.Elapsed < Patience, "the sink did not settle");
            sinkClock?.Advance(TimeSpan.FromMilliseconds(100));
            sink.Flush(durable: false);
            await Task.Delay(20);
        }
    }

    private void AssertAccountingHolds(KafkaSink sink, long accepted)
    {
        sink.Flush(durable: false);
        Assert.Equal(accepted, _counters.Appended);
        Assert.Equal(
            accepted,
            _counters.Delivered + _counters.InFlight + sink.Spool.Records + _spoolCounters.TotalReplayed
                + _spoolCounters.TotalShed + _spoolCounters.TotalEvicted);
    }

    private static SinkRecord Record(int n)
    {
        var priority = (Priority)(n % 4);
        return new SinkRecord($"beacon.p{(int)priority}", Encoding.UTF8.GetBytes($"visitor-{n % 10}"),
            Encoding.UTF8.GetBytes($"{{\"n\":{n}}}"), 1_700_000_000_000 + n, priority, $"route-{(int)priority}", n % 4 == 2 ? 0.25 : 1.0);
    }

    private static SinkRecord WithWaiter(SinkRecord record, CountingAcknowledgement waiter) =>
        new(record.Topic, record.Key, record.Value, record.TimestampMs, record.Priority, record.Route, record.SampleRate) { Acknowledgement = waiter };

    private static int NumberOf(ConsumeResult<byte[], byte[]> record)
    {
        var json = Encoding.UTF8.GetString(record.Message.Value);
        return int.Parse(json.AsSpan(5, json.Length - 6), CultureInfo.InvariantCulture);
    }

    private static string? Header(ConsumeResult<byte[], byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;
}
