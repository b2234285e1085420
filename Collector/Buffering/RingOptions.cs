namespace Beacon.Collector.Buffering;

/// <summary>The ring buffer between the edge and the pipeline. Bound from <c>Beacon:Ring</c>.</summary>
public sealed class RingOptions
{
    /// <summary>
    /// Records the ring holds; rounded up to a power of two. Default 65536: a few seconds of a busy
    /// collector's traffic, so a pipeline thread starved of CPU for a moment doesn't mean shedding.
    /// </summary>
    public int Capacity { get; set; } = 65536;

    /// <summary>Bytes pre-allocated per slot at start-up (32 MiB at the default capacity); a bigger record grows its slot once. Default 512.</summary>
    public int SlotBytes { get; set; } = 512;

    /// <summary>Fill level (fraction of capacity) from which P3 records are shed. Default 0.5.</summary>
    public double ShedP3At { get; set; } = 0.5;

    /// <summary>Fill level from which P2 records are shed. Default 0.7.</summary>
    public double ShedP2At { get; set; } = 0.7;

    /// <summary>Fill level from which P1 records are shed. Default 0.9. P0 is shed only when the ring is full.</summary>
    public double ShedP1At { get; set; } = 0.9;
}
