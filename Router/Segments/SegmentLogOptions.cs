namespace Beacon.Router.Segments;

/// <summary>How segment logs roll and what they keep. Bound from <c>Beacon:Segments</c>.</summary>
public sealed class SegmentLogOptions
{
    /// <summary>Roll to a new segment past this size. Default 64 MiB.</summary>
    public long SegmentBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Roll to a new segment when the open one is this old. Default 1 hour.</summary>
    public TimeSpan SegmentMaxAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Delete closed segments last written longer ago than this. Default 7 days.</summary>
    public TimeSpan RetentionMaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Delete the oldest closed segments while a topic holds more than this. Default 1 GiB.</summary>
    public long RetentionMaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Write buffer per open segment. Default 64 KiB.</summary>
    public int WriteBufferBytes { get; set; } = 64 * 1024;
}
