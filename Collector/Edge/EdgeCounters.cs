namespace Beacon.Collector.Edge;

/// <summary>What the edge refused, by reason; read by metrics and tests.</summary>
public sealed class EdgeCounters
{
    private readonly long[] _rejected = new long[Enum.GetValues<EdgeRejection>().Length];

    public long Rejected(EdgeRejection reason) => Volatile.Read(ref _rejected[(int)reason]);

    internal void Count(EdgeRejection reason) => Interlocked.Increment(ref _rejected[(int)reason]);
}
