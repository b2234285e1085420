using Beacon.Parser.Input;
using Beacon.Parser.Model;
using Beacon.Router.Records;
using Beacon.Router.Rules;
using Beacon.Router.Sinks;

namespace Beacon.Router.Routing;

/// <summary>
/// The router stage: resolves a decoded event's business route, applies the SRE rules in force
/// (sample, hold, drop), serialises it and hands it to the sink keyed by visitor id; a rejected
/// record goes to the dead-letter topic with its reason and raw input. One instance per pipeline worker.
/// </summary>
public sealed class EventRouter(
    RouteTable table,
    IRecordSink sink,
    RouterCounters counters,
    RuleBook? rules = null,
    HoldLanes? holds = null,
    RecentEvents? recent = null)
{
    /// <summary>Dead letters are never sampled.</summary>
    private const double SampleRate = 1.0;
    private readonly RecordWriter _writer = new();
    private readonly byte[] _key = new byte[32];
    private readonly byte[] _anonymousDevice = new byte[32];

    /// <summary>
    /// Routes one record. <paramref name="evt"/> is what the decoder made of <paramref name="raw"/>;
    /// <paramref name="acknowledgement"/>, when set, travels with the record to the sink, which signals
    /// it once the record is durable (a held record: once its lane is fsync'd; sampled out or dropped: at once).
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
        recent?.Record(evt, route);
        var decision = rules is null ? RuleDecision.Keep : rules.Current.Evaluate(evt, route, DeviceId(evt));
        if (decision.Outcome is RuleOutcome.SampledOut or RuleOutcome.Dropped)
        {
            // Decided, not lost: a waiting client must not resend what a rule chose not to keep.
            acknowledgement?.Acknowledge(1);
            Count(route, decision.Rule, decision.Outcome);
            return;
        }

        var record = new SinkRecord(route.Topic, key, _writer.WriteEvent(evt, route, decision.SampleRate), evt.ReceivedAtMs,
            route.Priority, route.Name, decision.SampleRate) { Acknowledgement = acknowledgement };
        if (decision.Outcome == RuleOutcome.Held && holds is not null && holds.TryHold(decision.Rule!, record))
        {
            Count(route, decision.Rule, RuleOutcome.Held);
            return;
        }

        // Kept, or held with no room left in the rule's lane: written now rather than lost.
        sink.Append(record);
        Count(route, decision.Rule, RuleOutcome.Kept);
        counters.CountRouted(route);
    }

    private void Count(BusinessRoute route, Rule? rule, RuleOutcome outcome)
    {
        rule?.Counter.Count(outcome);
        counters.CountOutcome(route, outcome);
    }

    /// <summary>Sends records of lifted holds on to the sink, within the release rate; call between records.</summary>
    public int ReleaseHeld() => holds?.Release(sink) ?? 0;

    /// <summary>Flushes the sink, then the hold lanes (a lane released into the sink is deleted only after a durable flush).</summary>
    public void Flush(bool durable)
    {
        sink.Flush(durable);
        holds?.Flush(durable);
    }

    /// <summary>The id sampling hashes: the visitor's; an anonymous record has none, so its event id (sampled per event).</summary>
    private ReadOnlySpan<byte> DeviceId(BeaconEvent evt)
    {
        if (evt.VisitorId != Guid.Empty)
        {
            return _key;
        }

        evt.GeneratedEventId.TryFormat(_anonymousDevice, out _, "N");
        return _anonymousDevice;
    }
}
