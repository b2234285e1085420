namespace Beacon.Router.Segments;

/// <summary>One record read back from a segment log.</summary>
public sealed record SegmentRecord(long Number, long TimestampMs, ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value);
