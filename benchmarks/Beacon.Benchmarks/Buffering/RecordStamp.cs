using Beacon.Parser.Input;
using Beacon.Router.Routing;

namespace Beacon.Benchmarks.Buffering;

/// <summary>
/// The Channel baseline's payload: the same fields a producer sets on a ring slot per record
/// (RingSlot.Begin plus the claim's priority), carried by value so the channel allocates nothing.
/// </summary>
internal readonly record struct RecordStamp(long ReceivedAtMs, Guid VisitorId, Priority Priority, BeaconTransport Transport);
