namespace Beacon.Collector.Edge;

/// <summary>Limits at the HTTP edge. Bound from <c>Beacon:Edge</c>.</summary>
public sealed class EdgeOptions
{
    /// <summary>Longest pixel query string, in UTF-8 bytes; longer → 414. Default 4096.</summary>
    public int MaxQueryBytes { get; set; } = 4096;

    /// <summary>Largest beacon POST body, in bytes; larger → 413. Default 65536.</summary>
    public int MaxBodyBytes { get; set; } = 64 * 1024;
}
