using Beacon.Router.Routing;

namespace Beacon.Router.Sinks;

/// <summary>One serialised record on its way to a topic. Spans are only valid during the <see cref="IRecordSink.Append"/> call.</summary>
public readonly ref struct SinkRecord(
    string topic,
    ReadOnlySpan<byte> key,
    ReadOnlySpan<byte> value,
    long timestampMs,
    Priority priority,
    string route,
    double sampleRate)
{
    public string Topic { get; } = topic;

    /// <summary>The partitioning key: the visitor or device id, so one visitor's events stay in order.</summary>
    public ReadOnlySpan<byte> Key { get; } = key;

    /// <summary>The record: one JSON event.</summary>
    public ReadOnlySpan<byte> Value { get; } = value;

    /// <summary>Server receive time, Unix milliseconds.</summary>
    public long TimestampMs { get; } = timestampMs;

    /// <summary>Decides what is shed first when a sink's spool is full.</summary>
    public Priority Priority { get; } = priority;

    /// <summary>The business route, for the Kafka header (the JSON carries it too).</summary>
    public string Route { get; } = route;

    /// <summary>The fraction of matching events kept by sampling, so downstream can re-weight counts.</summary>
    public double SampleRate { get; } = sampleRate;

    /// <summary>
    /// Who waits for this record to be durable (a batch request), or null (pixels: fire and forget).
    /// The sink calls it exactly once per record: when Kafka acknowledged it or an fsync covered it, or
    /// when it could not be kept.
    /// </summary>
    public IRecordAcknowledgement? Acknowledgement { get; init; }
}
