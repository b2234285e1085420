namespace Beacon.Router.Sinks.Kafka;

/// <summary>The Kafka sink. Bound from <c>Beacon:Kafka</c>; with no bootstrap servers Beacon uses the embedded sink.</summary>
public sealed class KafkaSinkOptions
{
    public const string Section = "Kafka";

    /// <summary>Kafka's bootstrap servers, e.g. "kafka-0:9092,kafka-1:9092". Default none: the embedded segment-file sink.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>
    /// Any librdkafka producer property (e.g. "security.protocol", "sasl.mechanism", "linger.ms"),
    /// applied over Beacon's defaults: acks=all, idempotence, lz4, linger.ms=5, a bounded queue and
    /// message.timeout.ms=10000 (a failed record reaches the spool within seconds).
    /// </summary>
    public IDictionary<string, string> Properties { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Whether records also carry the <see cref="KafkaHeaders"/> (schema, route, priority, sample rate) as
    /// Kafka headers, for consumers that route or re-weight without parsing the JSON, which holds the same
    /// fields. Default false: they cost librdkafka five allocations per record on the pipeline thread, freed
    /// on another thread — a third of the producer's CPU (docs/performance.md, loadtest/kafka-floor.sh).
    /// </summary>
    public bool Headers { get; set; }

    /// <summary>How long shutdown waits for in-flight records before the rest are spooled. Default 15 s.</summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
