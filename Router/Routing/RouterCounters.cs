using Beacon.Parser.Model;

namespace Beacon.Router.Routing;

/// <summary>What the router did, by priority and by reject reason; read by metrics and tests.</summary>
public sealed class RouterCounters
{
    private readonly long[] _routed = new long[Enum.GetValues<Priority>().Length];
    private readonly long[] _rejected = new long[Enum.GetValues<RejectReason>().Length];

    public long Routed(Priority priority) => Volatile.Read(ref _routed[(int)priority]);

    public long Rejected(RejectReason reason) => Volatile.Read(ref _rejected[(int)reason]);

    public long TotalRouted => _routed.Sum();

    public long TotalRejected => _rejected.Sum();

    internal void CountRouted(Priority priority) => Interlocked.Increment(ref _routed[(int)priority]);

    internal void CountRejected(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);
}
