using System.Globalization;
using System.Text;
using Beacon.Router.Sinks.Kafka;
using Confluent.Kafka;

namespace Beacon.LoadTest;

/// <summary>
/// KestrelFloor's Kafka mode: every request produces one ready-made pixel record, as Beacon's Kafka
/// sink would — Beacon's producer settings (<see cref="KafkaSink.ProducerConfigFor"/>), keyed by visitor
/// id, over Beacon's four priority topics in pixel.lua's mix, status-only delivery reports counted.
/// No ring, no decoding, no routing, no spool: what Kestrel plus librdkafka cost per pixel on this
/// machine, the floor under Beacon's Kafka path.
/// </summary>
internal sealed class KafkaPixels : IDisposable
{
    private const int Distinct = 4096;

    private readonly IProducer<byte[], byte[]> _producer;
    private readonly TopicPartition[] _topics;
    private readonly byte[][] _keys = new byte[Distinct][];
    private readonly byte[][] _values = new byte[Distinct][];
    private readonly int[] _priorities = new int[Distinct];
    private readonly Action<DeliveryReport<byte[], byte[]>> _report;
    private long _next;
    private long _delivered;
    private long _failed;

    public KafkaPixels(string bootstrapServers)
    {
        _producer = new ProducerBuilder<byte[], byte[]>(KafkaSink.ProducerConfigFor(new KafkaSinkOptions { BootstrapServers = bootstrapServers })).Build();
        _topics = [.. Enumerable.Range(0, 4).Select(static p => new TopicPartition($"beacon.p{p}", Partition.Any))];
        _report = report => Interlocked.Increment(ref report.Status == PersistenceStatus.Persisted ? ref _delivered : ref _failed);

        // pixel.lua's mix: pv 40 and click 20 (p1), exp 20 (p2), perf 12 (p3), order 8 (p0), in 100 records.
        (string Event, string Route, int Priority, int Weight)[] mix = [("pv", "pageview", 1, 40), ("click", "click", 1, 20), ("exp", "exposure", 2, 20), ("perf", "performance", 3, 12), ("order", "order", 0, 8)];
        var madeAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < Distinct; i++)
        {
            var slot = i % 100;
            var kind = mix.First(m => (slot -= m.Weight) < 0);
            var visitor = Guid.NewGuid();
            _keys[i] = Encoding.ASCII.GetBytes(visitor.ToString("N"));
            _values[i] = Encoding.UTF8.GetBytes(Record(kind.Event, kind.Route, kind.Priority, visitor, madeAt + i, i));
            _priorities[i] = kind.Priority;
        }
    }

    /// <summary>Records produced; each is either delivered or failed once Complete has returned.</summary>
    public long Produced => Interlocked.Read(ref _next);

    /// <summary>Hands the next record to librdkafka; a full queue counts as a failure (Beacon would spool it).</summary>
    public void Produce()
    {
        var r = (int)(Interlocked.Increment(ref _next) % Distinct);
        var message = new Message<byte[], byte[]>
        {
            Key = _keys[r],
            Value = _values[r],
            Timestamp = new Timestamp(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), TimestampType.CreateTime),
        };
        try
        {
            _producer.Produce(_topics[_priorities[r]], message, _report);
        }
        catch (ProduceException<byte[], byte[]>)
        {
            Interlocked.Increment(ref _failed);
        }
    }

    /// <summary>Waits for every delivery report and returns the tally line loadtest/pixel.sh reads.</summary>
    public string Complete()
    {
        _producer.Flush(TimeSpan.FromSeconds(30));
        return string.Create(CultureInfo.InvariantCulture,
            $"kafka-pixels: produced={Produced} delivered={Interlocked.Read(ref _delivered)} failed={Interlocked.Read(ref _failed)}");
    }

    public void Dispose() => _producer.Dispose();

    // A pixel's record as the collector writes it (docs/protocol.md's schema): a page URL, a browser's User-Agent, a few properties.
    private static string Record(string evt, string route, int priority, Guid visitor, long receivedAt, int n) =>
        string.Create(CultureInfo.InvariantCulture,
            $$$"""{"schema":1,"event_id":"{{{Guid.CreateVersion7():D}}}","event":"{{{evt}}}","app":"shop","platform":"web","route":"{{{route}}}","priority":"p{{{priority}}}","sample_rate":1,"received_at":{{{receivedAt}}},"client_time":{{{receivedAt - 40}}},"event_time":{{{receivedAt - 40}}},"visitor_id":"{{{visitor:N}}}","session_id":"s-{{{n / 10}}}","url":"https://shop.example.com/item/{{{n % 1000}}}?ref=home","referrer":"https://shop.example.com/","spm":"a.b.c.{{{n % 10}}}","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36","ua":{"browser":"Chrome","browser_major":"126","os":"Windows","os_version":"10","device":"desktop","bot":false},"client_ip":"127.0.0.0","transport":"pixel","props":{"title":"Home"}}""");
}
