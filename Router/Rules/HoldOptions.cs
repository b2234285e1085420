namespace Beacon.Router.Rules;

/// <summary>How held records are kept and released. Bound from <c>Beacon:Rules:Hold</c>.</summary>
public sealed class HoldOptions
{
    /// <summary>Records released per second (all lanes together) once a hold is lifted, so a release never swamps Kafka. Default 5000.</summary>
    public int ReleaseRecordsPerSecond { get; set; } = 5000;

    /// <summary>Disk a hold rule may fill; past it matching records are written as if not held (counted). Default 1 GiB.</summary>
    public long MaxBytesPerRule { get; set; } = 1L << 30;

    /// <summary>Size of one lane segment file. Default 16 MiB.</summary>
    public long SegmentBytes { get; set; } = 16L << 20;
}
