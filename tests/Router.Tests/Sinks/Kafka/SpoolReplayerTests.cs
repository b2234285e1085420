using System.Globalization;
using System.Text;
using Beacon.Router.Routing;
using Beacon.Router.Sinks;
using Beacon.Router.Sinks.Kafka;
using Beacon.Router.Spooling;
using Confluent.Kafka;

namespace Beacon.Router.Tests.Sinks.Kafka;

/// <summary>
/// The replayer against a producer whose deliveries the test reports by hand, step by step of a manual
/// clock: which records are in flight when a delivery fails is exact, not up to a broker's timing.
/// </summary>
public sealed class SpoolReplayerTests : IDisposable
{
    private const int Total = 30;
    private readonly TempDirectory _temp = new();
    private readonly ManualTimeProvider _clock = new();
    private readonly SpoolCounters _spoolCounters = new();
    private readonly KafkaSinkCounters _counters = new();
    private readonly KafkaHealth _health = new();
    private readonly ScriptedProducer _producer = new();
    private readonly SpoolOptions _options = new()
    {
        SegmentBytes = 64 * 1024,
        ProbeInterval = TimeSpan.FromMilliseconds(300),
        ReplayRecordsPerSecond = 10,
    };

    private readonly Spool _spool;
    private readonly SpoolReplayer _replayer;

    public SpoolReplayerTests()
    {
        _spool = new Spool(_temp.Path, _options, _spoolCounters);
        for (var n = 0; n < Total; n++)
        {
            Assert.True(_spool.TryAppend(Record(n)));
        }

        _spool.Flush(durable: true);
        _replayer = new SpoolReplayer(_producer, _spool, _options, _health, _counters, new KafkaHeaderCache(enabled: true), _clock);
    }

    public void Dispose()
    {
        _replayer.Dispose();
        _spool.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void A_segment_whose_replay_fails_part_way_stops_being_sent_is_kept_and_is_replayed_from_its_first_record()
    {
        StepOneSecond();
        _producer.Report(10, PersistenceStatus.Persisted);
        StepOneSecond();
        Assert.Equal(Enumerable.Range(0, 20), _producer.Produced.Select(NumberOf));

        // Record 10 fails; Kafka takes 11, so it looks healthy again, while 12 to 19 are still in flight.
        _producer.Report(1, PersistenceStatus.NotPersisted);
        _producer.Report(1, PersistenceStatus.Persisted);
        StepOneSecond();
        StepOneSecond();

        // Nothing more of the segment is sent, and nothing is settled while deliveries are outstanding.
        Assert.Equal(20, _producer.Produced.Count);
        Assert.Equal(0, _counters.ReplayDuplicates);
        Assert.NotNull(_spool.Pinned);

        // Once every delivery is reported the segment is released whole: the 19 records Kafka took will reach it twice.
        _producer.Report(8, PersistenceStatus.Persisted);
        StepOneSecond();
        Assert.Equal(19, _counters.ReplayDuplicates);
        Assert.Equal(Total, _spool.Records);
        Assert.Equal(0, _spoolCounters.TotalReplayed);

        // The next replay starts again from the segment's first record, and this time deletes it.
        Assert.Equal(Enumerable.Range(0, 20).Concat(Enumerable.Range(0, 10)), _producer.Produced.Select(NumberOf));
        for (var step = 0; step < 10 && _spool.Records > 0; step++)
        {
            _producer.Report(_producer.Unreported, PersistenceStatus.Persisted);
            StepOneSecond();
        }

        Assert.Equal(0, _spool.Records);
        Assert.Equal(Total, _spoolCounters.TotalReplayed);
        Assert.Equal(19, _counters.ReplayDuplicates);
        Assert.Equal(Enumerable.Range(0, 20).Concat(Enumerable.Range(0, Total)), _producer.Produced.Select(NumberOf));
        Assert.Null(_spool.Pinned);
    }

    [Fact]
    public void While_kafka_fails_one_record_is_tried_per_probe_interval_and_never_a_second_while_one_is_in_flight()
    {
        _health.Failed();
        StepOneSecond();
        Assert.Single(_producer.Produced);

        // The probe is still in flight: however long that takes, no second one is sent.
        StepOneSecond();
        StepOneSecond();
        Assert.Single(_producer.Produced);

        // It failed: the segment is released and started again with the next probe, a probe interval after the last one.
        _producer.Report(1, PersistenceStatus.NotPersisted);
        HalfAProbeInterval();
        Assert.Equal([0, 0], _producer.Produced.Select(NumberOf));
        _producer.Report(1, PersistenceStatus.NotPersisted);
        HalfAProbeInterval();
        Assert.Equal(2, _producer.Produced.Count);
        HalfAProbeInterval();
        Assert.Equal([0, 0, 0], _producer.Produced.Select(NumberOf));

        // That one got through: Kafka is healthy again and the replay goes on at its full rate.
        _producer.Report(1, PersistenceStatus.Persisted);
        StepOneSecond();
        Assert.Equal([0, 0, .. Enumerable.Range(0, 1 + _options.ReplayRecordsPerSecond)], _producer.Produced.Select(NumberOf));
    }

    [Fact]
    public void A_failed_delivery_while_replaying_at_full_rate_drops_the_replay_to_probing()
    {
        StepOneSecond();
        Assert.Equal(10, _producer.Produced.Count);

        _producer.Report(10, PersistenceStatus.NotPersisted);
        StepOneSecond();

        // The segment starts again, but as a probe: one record, not another ten.
        Assert.Equal(11, _producer.Produced.Count);
        Assert.Equal(0, NumberOf(_producer.Produced[^1]));
        Assert.False(_health.IsHealthy);
    }

    private void HalfAProbeInterval()
    {
        _clock.Advance(_options.ProbeInterval / 2);
        _replayer.Step();
    }

    private void StepOneSecond()
    {
        _clock.Advance(TimeSpan.FromSeconds(1));
        _replayer.Step();
    }

    private static SinkRecord Record(int n) =>
        new("beacon.p0", Encoding.UTF8.GetBytes($"visitor-{n % 10}"), Encoding.UTF8.GetBytes(n.ToString(CultureInfo.InvariantCulture)), 1_700_000_000_000 + n, Priority.P0, "route-0", 1.0);

    private static int NumberOf(Message<byte[], byte[]> message) => int.Parse(Encoding.UTF8.GetString(message.Value), CultureInfo.InvariantCulture);
}
