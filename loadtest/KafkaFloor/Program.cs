// KafkaFloor BOOTSTRAP [--seconds S] [--warmup S] [--headers false|true] [--property KEY=VALUE ...]
// What one Kafka message per event costs on this machine when nothing else runs: one thread produces
// ready-made records (a batch event's record, ~650 bytes of JSON; 4,096 distinct ones made before the
// run, each with its own event id, visitor key and times, used in turn) to beacon.p0..p3 as fast as
// the producer takes them, with Beacon's producer settings (KafkaSink.ProducerConfigFor: acks=all,
// idempotence, lz4, linger 5 ms, status-only delivery reports) and, with --headers true, Beacon's four
// headers (off by default, as in Beacon). No HTTP, no JSON parsing, no decoding, no routing, no spool.
// Prints "kafka-floor: seconds=… delivered=… failed=… per_s=… cpu_s=… queue_full=…", counted over the
// timed run only; loadtest/kafka-floor.sh adds the mock brokers' CPU.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Beacon.Router.Sinks.Kafka;
using Confluent.Kafka;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: KafkaFloor BOOTSTRAP [--seconds S] [--warmup S] [--headers false|true] [--property KEY=VALUE ...]");
    return 2;
}

var seconds = double.Parse(Option("--seconds", "15"), CultureInfo.InvariantCulture);
var warmup = double.Parse(Option("--warmup", "10"), CultureInfo.InvariantCulture);
var withHeaders = bool.Parse(Option("--headers", "false"));
var options = new KafkaSinkOptions { BootstrapServers = args[0] };
for (var i = 1; i < args.Length - 1; i++)
{
    if (args[i] == "--property")
    {
        var pair = args[i + 1].Split('=', 2);
        options.Properties[pair[0]] = pair[1];
    }
}

string[] topics = ["beacon.p0", "beacon.p1", "beacon.p2", "beacon.p3"];
string[] events = ["order", "pv", "click", "exp", "perf"];
string[] routes = ["order", "pageview", "pageview", "exposure", "performance"];
var headers = new Headers[events.Length];
for (var e = 0; e < events.Length; e++)
{
    headers[e] = withHeaders
        ? [
            new Header(KafkaHeaders.Schema, "1"u8.ToArray()),
            new Header(KafkaHeaders.Route, Encoding.UTF8.GetBytes(routes[e])),
            new Header(KafkaHeaders.Priority, Encoding.ASCII.GetBytes(topics[Math.Min(e, 3)][^2..])),
            new Header(KafkaHeaders.SampleRate, "1"u8.ToArray()),
        ]
        : [];
}

long delivered = 0, failed = 0, queueFull = 0;
Action<DeliveryReport<byte[], byte[]>> report = r =>
{
    if (r.Status == PersistenceStatus.Persisted)
    {
        Interlocked.Increment(ref delivered);
    }
    else
    {
        Interlocked.Increment(ref failed);
    }
};

using var producer = new ProducerBuilder<byte[], byte[]>(KafkaSink.ProducerConfigFor(options)).Build();
const int Distinct = 4096;
var keys = new byte[Distinct][];
var values = new byte[Distinct][];
var madeAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
for (var i = 0; i < Distinct; i++)
{
    var e = i % events.Length;
    var visitor = Guid.NewGuid();
    keys[i] = Encoding.ASCII.GetBytes(visitor.ToString("N"));
    values[i] = Encoding.UTF8.GetBytes(Record(events[e], routes[e], topics[Math.Min(e, 3)][^2..], Guid.CreateVersion7(), visitor, madeAt + i, i));
}

var message = new Message<byte[], byte[]>();
var partitions = topics.Select(static t => new TopicPartition(t, Partition.Any)).ToArray();
var started = Stopwatch.GetTimestamp();
var measureFrom = started + (long)(warmup * Stopwatch.Frequency);
var end = measureFrom + (long)(seconds * Stopwatch.Frequency);
long deliveredAtStart = 0, failedAtStart = 0, queueFullAtStart = 0;
var cpuAtStart = TimeSpan.Zero;
var measuring = false;
for (long n = 0; ; n++)
{
    if ((n & 255) == 0)
    {
        var now = Stopwatch.GetTimestamp();
        if (!measuring && now >= measureFrom)
        {
            measuring = true;
            (deliveredAtStart, failedAtStart, queueFullAtStart) = (Interlocked.Read(ref delivered), Interlocked.Read(ref failed), queueFull);
            cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
            Console.WriteLine("kafka-floor: warm-up done");
        }

        if (now >= end)
        {
            break;
        }
    }

    var r = (int)(n % Distinct);
    var e = r % events.Length;
    message.Key = keys[r];
    message.Value = values[r];
    message.Timestamp = new Timestamp(madeAt + r, TimestampType.CreateTime);
    message.Headers = headers[e];
    while (true)
    {
        try
        {
            producer.Produce(partitions[Math.Min(e, 3)], message, report);
            break;
        }
        catch (ProduceException<byte[], byte[]> x) when (x.Error.Code == ErrorCode.Local_QueueFull)
        {
            queueFull++;
            Thread.Sleep(1); // the producer is as far behind as it may get; Beacon's sink would spool here
        }
    }
}

var measuredFor = Stopwatch.GetElapsedTime(measureFrom).TotalSeconds;
var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds;
var deliveredInRun = Interlocked.Read(ref delivered) - deliveredAtStart;
var failedInRun = Interlocked.Read(ref failed) - failedAtStart;
producer.Flush(TimeSpan.FromSeconds(30));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"kafka-floor: seconds={measuredFor:F2} delivered={deliveredInRun} failed={failedInRun} per_s={deliveredInRun / measuredFor:F0} cpu_s={cpu:F2} queue_full={queueFull - queueFullAtStart} headers={withHeaders.ToString().ToLowerInvariant()} total_delivered={Interlocked.Read(ref delivered)} total_failed={Interlocked.Read(ref failed)}"));
return failed == 0 ? 0 : 1;

string Option(string name, string fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

// A batch event's record as the collector writes it (loadtest/BatchLoad's events, docs/protocol.md's schema).
static string Record(string evt, string route, string priority, Guid eventId, Guid visitor, long receivedAt, long n) =>
    string.Create(CultureInfo.InvariantCulture,
        $$$"""{"schema":1,"event_id":"{{{eventId:D}}}","event":"{{{evt}}}","app":"shop","platform":"android","route":"{{{route}}}","priority":"{{{priority}}}","sample_rate":1,"received_at":{{{receivedAt}}},"client_time":{{{receivedAt - 1000 - (n % 100)}}},"sent_at":{{{receivedAt - 1000}}},"event_time":{{{receivedAt - (n % 100)}}},"visitor_id":"{{{visitor:N}}}","user_id":"user-{{{n / 100}}}","session_id":"s-{{{n / 100}}}","sdk":"mobile/3.4.1","user_agent":"BatchLoad/1.0","ua":{"browser":"Other","os":"Other","device":"desktop","bot":false},"client_ip":"127.0.0.0","transport":"batch","props":{"device_id":"{{{visitor:D}}}","device":"{\"model\":\"Pixel 8\",\"os\":\"Android\",\"os_version\":\"15\"}","screen":"home","item":"sku-{{{n % 100}}}","position":"{{{n % 100}}}"}}""");
