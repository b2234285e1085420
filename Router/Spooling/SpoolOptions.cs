namespace Beacon.Router.Spooling;

/// <summary>The spool in front of Kafka. Bound from <c>Beacon:Spool</c>.</summary>
public sealed class SpoolOptions
{
    /// <summary>The spool's directory; default <c>{DataDirectory}/spool</c>.</summary>
    public string? Directory { get; set; }

    /// <summary>Most bytes the spool holds across all topics; past it, less important records are shed first. Default 1 GiB.</summary>
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Segment size: the unit that is replayed, acknowledged and deleted (or evicted). Default 4 MiB.</summary>
    public long SegmentBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Most spooled records sent back to Kafka per second while it is healthy. Default 20000.</summary>
    public int ReplayRecordsPerSecond { get; set; } = 20_000;

    /// <summary>While Kafka is failing, one spooled record is tried this often to notice recovery. Default 2 s.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(2);
}
