using Beacon.Router.Routing;
using Beacon.Router.Segments;

namespace Beacon.Router.Spooling;

/// <summary>One topic's waiting records: a <see cref="SegmentLog"/> under <c>spool/p{priority}/{topic}</c>.</summary>
public sealed class SpoolLane(string topic, Priority priority, SegmentLog log)
{
    public string Topic { get; } = topic;

    public Priority Priority { get; } = priority;

    public SegmentLog Log { get; } = log;
}
