using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Beacon.Parser.Model;
using Beacon.Router.Rules;

namespace Beacon.Router.Routing;

/// <summary>What the router did, by priority and by reject reason; read by metrics and tests.</summary>
public sealed class RouterCounters
{
    private readonly long[] _routed = new long[Enum.GetValues<Priority>().Length];
    private readonly long[] _rejected = new long[Enum.GetValues<RejectReason>().Length];
    // Routes are built once by the RouteTable: identity is enough, and hashing a record's strings per event is not free.
    private readonly ConcurrentDictionary<BusinessRoute, StrongBox<long>> _byRoute = new(ReferenceEqualityComparer.Instance);

    private static readonly int OutcomeCount = Enum.GetValues<RuleOutcome>().Length;
    private readonly long[] _outcomes = new long[Enum.GetValues<Priority>().Length * OutcomeCount];

    public long Routed(Priority priority) => Volatile.Read(ref _routed[(int)priority]);

    /// <summary>Valid events by priority and what the rules decided (kept, sampled out, held, dropped).</summary>
    public long Outcome(Priority priority, RuleOutcome outcome) =>
        Volatile.Read(ref _outcomes[((int)priority * OutcomeCount) + (int)outcome]);

    public long Rejected(RejectReason reason) => Volatile.Read(ref _rejected[(int)reason]);

    public long TotalRouted => _routed.Sum();

    /// <summary>Events routed so far, per business route that has seen any.</summary>
    public IEnumerable<(BusinessRoute Route, long Events)> ByRoute =>
        _byRoute.Select(static pair => (pair.Key, Volatile.Read(ref pair.Value.Value)));

    public long TotalRejected => _rejected.Sum();

    internal void CountRouted(BusinessRoute route)
    {
        Interlocked.Increment(ref _routed[(int)route.Priority]);
        Interlocked.Increment(ref _byRoute.GetOrAdd(route, static _ => new StrongBox<long>()).Value);
    }

    internal void CountOutcome(BusinessRoute route, RuleOutcome outcome) =>
        Interlocked.Increment(ref _outcomes[((int)route.Priority * OutcomeCount) + (int)outcome]);

    internal void CountRejected(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);
}
