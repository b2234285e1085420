using Beacon.Parser.Input;
using Beacon.Parser.Model;
using Beacon.Router.Records;
using Beacon.Router.Sinks;

namespace Beacon.Router.Routing;

/// <summary>
/// The router stage: resolves a decoded event's business route, serialises it and hands it to
/// the sink keyed by visitor id; a rejected record goes to the dead-letter topic with its reason
/// and raw input. One instance per pipeline worker.
/// </summary>
public sealed class EventRouter(RouteTable table, IRecordSink sink, RouterCounters counters) : IDisposable
{
    /// <summary>Every record is kept until sampling rules exist.</summary>
    private const double SampleRate = 1.0;
    private readonly RecordWriter _writer = new();
    private readonly byte[] _key = new byte[32];

    /// <summary>
    /// Routes one record. <paramref name="evt"/> is what the decoder made of <paramref name="raw"/>;
    /// <paramref name="acknowledgement"/>, when set, travels with the record to the sink, which signals
    /// it once the record is durable. A future rule that writes nothing must acknowledge it itself.
    /// </summary>
    public void Route(in RawBeacon raw, BeaconEvent evt, IRecordAcknowledgement? acknowledgement = null)
    {
        ArgumentNullException.ThrowIfNull(evt);

        // Anonymous records have no visitor: no key, so Kafka spreads them over partitions.
        var key = evt.VisitorId == Guid.Empty ? [] : _key.AsSpan();
        evt.VisitorId.TryFormat(_key, out _, "N");
        if (evt.RejectReason != RejectReason.None)
        {
            sink.Append(new SinkRecord(table.DeadLetterTopic, key, _writer.WriteRejected(raw, evt), raw.ReceivedAtMs,
                RouteTable.DeadLetterPriority, RouteTable.DeadLetterRoute, SampleRate) { Acknowledgement = acknowledgement });
            counters.CountRejected(evt.RejectReason);
            return;
        }

        var route = table.Resolve(evt.Route, evt.EventType);
        sink.Append(new SinkRecord(route.Topic, key, _writer.WriteEvent(evt, route, SampleRate), evt.ReceivedAtMs,
            route.Priority, route.Name, SampleRate) { Acknowledgement = acknowledgement });
        counters.CountRouted(route);
    }

    public void Dispose() => _writer.Dispose();
}
