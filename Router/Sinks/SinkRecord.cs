namespace Beacon.Router.Sinks;

/// <summary>One serialised record on its way to a topic. Spans are only valid during the <see cref="IRecordSink.Append"/> call.</summary>
public readonly ref struct SinkRecord(string topic, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long timestampMs)
{
    public string Topic { get; } = topic;

    /// <summary>The partitioning key: the visitor or device id, so one visitor's events stay in order.</summary>
    public ReadOnlySpan<byte> Key { get; } = key;

    /// <summary>The record: one JSON event.</summary>
    public ReadOnlySpan<byte> Value { get; } = value;

    /// <summary>Server receive time, Unix milliseconds.</summary>
    public long TimestampMs { get; } = timestampMs;
}
