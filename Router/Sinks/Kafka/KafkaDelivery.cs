using Beacon.Router.Routing;
using Confluent.Kafka;

namespace Beacon.Router.Sinks.Kafka;

/// <summary>
/// One record in flight to Kafka: what its delivery report needs (who waits for it, when it was received)
/// and what the spool needs if Kafka does not take it. Keeping the key, value and headers' inputs here
/// is what lets delivery reports carry the status alone: librdkafka no longer has to hand headers,
/// timestamp, key and value back to managed code for every record only for the failure path.
/// </summary>
internal sealed class KafkaDelivery(
    KafkaSink sink,
    string topic,
    byte[]? key,
    byte[] value,
    long receivedAtMs,
    Priority priority,
    string route,
    double sampleRate,
    IRecordAcknowledgement? waiter)
{
    public string Topic { get; } = topic;

    public byte[]? Key { get; } = key;

    public byte[] Value { get; } = value;

    /// <summary>Server receive time, Unix ms: the report's timestamp is librdkafka's, not ours.</summary>
    public long ReceivedAtMs { get; } = receivedAtMs;

    public Priority Priority { get; } = priority;

    public string Route { get; } = route;

    public double SampleRate { get; } = sampleRate;

    public IRecordAcknowledgement? Waiter { get; } = waiter;

    /// <summary>Called by Confluent.Kafka on its poll thread, once.</summary>
    public void Report(DeliveryReport<byte[], byte[]> report) => sink.OnDelivery(this, report.Status);

    /// <summary>The record as the spool takes it, when Kafka did not.</summary>
    public SinkRecord ToSinkRecord() =>
        new(Topic, Key, Value, ReceivedAtMs, Priority, Route, SampleRate) { Acknowledgement = Waiter };
}
