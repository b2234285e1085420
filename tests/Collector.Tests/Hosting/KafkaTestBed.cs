using Beacon.Router.Sinks.Kafka;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>
/// A mock Kafka cluster with Beacon's five record topics and a fresh data directory, plus the collector
/// settings that point at both with short timeouts, so outage tests settle in seconds. Disposed with the test.
/// </summary>
internal sealed class KafkaTestBed : IDisposable
{
    public static readonly string[] Topics = ["beacon.p0", "beacon.p1", "beacon.p2", "beacon.p3", "beacon.dlq"];

    public KafkaTestBed(int partitions)
    {
        foreach (var topic in Topics)
        {
            Cluster.CreateTopic(topic, partitions);
        }
    }

    public KafkaMockCluster Cluster { get; } = new();

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "beacon-tests", Guid.NewGuid().ToString("N"));

    public Dictionary<string, string?> Settings() => new()
    {
        ["Beacon:DataDirectory"] = DataDirectory,
        ["Beacon:Kafka:BootstrapServers"] = Cluster.BootstrapServers,
        ["Beacon:Kafka:ShutdownFlushTimeout"] = "00:00:05",
        ["Beacon:Kafka:Properties:message.timeout.ms"] = "2000",
        ["Beacon:Kafka:Properties:reconnect.backoff.max.ms"] = "500",
        ["Beacon:Spool:ProbeInterval"] = "00:00:00.300",
        ["Beacon:Spool:SegmentBytes"] = "65536",
    };

    public void Dispose()
    {
        Cluster.Dispose();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
