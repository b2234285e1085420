using System.Diagnostics.Metrics;
using Beacon.Collector.Buffering;
using Beacon.Collector.Edge;
using Beacon.Parser.Model;
using Beacon.Router.Routing;
using Beacon.Router.Sinks.Kafka;
using Beacon.Router.Spooling;

namespace Beacon.Collector.Diagnostics;

/// <summary>
/// The collector's instruments on the "Beacon" meter, observed from the counters each stage keeps,
/// so the hot path pays nothing for metrics. Names are dotted with units, as Kestrel's are.
/// </summary>
public sealed class BeaconMetrics
{
    public const string MeterName = "Beacon";

    public BeaconMetrics(
        IMeterFactory meterFactory,
        BeaconRing ring,
        EdgeCounters edge,
        RouterCounters router,
        KafkaSinkCounters kafka,
        SpoolCounters spool)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        var priorities = Enum.GetValues<Priority>();
        var reasons = Enum.GetValues<RejectReason>().Where(static r => r != RejectReason.None).ToArray();
        var edgeReasons = Enum.GetValues<EdgeRejection>();

        meter.CreateObservableCounter("beacon.ring.admitted", () => ring.Admitted, "{record}", "Records the edge put into the ring.");
        meter.CreateObservableCounter("beacon.ring.shed", () => priorities.Select(p =>
            new Measurement<long>(ring.Shed(p), PriorityTag(p))), "{record}", "Records the ring shed because it was too full for their priority.");
        meter.CreateObservableUpDownCounter("beacon.ring.occupancy", () => ring.Count, "{record}", "Records waiting in the ring.");
        meter.CreateObservableCounter("beacon.events.routed", () => priorities.Select(p =>
            new Measurement<long>(router.Routed(p), PriorityTag(p))), "{event}", "Events written to their priority's topic.");
        meter.CreateObservableCounter("beacon.events.rejected", () => reasons.Select(r =>
            new Measurement<long>(router.Rejected(r), new KeyValuePair<string, object?>("reason", r.Name()))), "{event}", "Records sent to the dead-letter topic.");
        meter.CreateObservableCounter("beacon.edge.rejected", () => edgeReasons.Select(r =>
            new Measurement<long>(edge.Rejected(r), new KeyValuePair<string, object?>("reason", r.ToString()))), "{request}", "Requests refused at the edge.");
        meter.CreateObservableCounter("beacon.kafka.delivered", () => kafka.Delivered, "{record}", "Records Kafka acknowledged on their first try.");
        meter.CreateObservableCounter("beacon.kafka.failed", () => kafka.Failed, "{record}", "Records whose first delivery failed (spooled).");
        meter.CreateObservableUpDownCounter("beacon.kafka.in_flight", () => kafka.InFlight, "{record}", "Records handed to the producer and not yet settled.");
        meter.CreateObservableCounter("beacon.spool.spooled", () => priorities.Select(p =>
            new Measurement<long>(spool.Spooled(p), PriorityTag(p))), "{record}", "Records written to the spool.");
        meter.CreateObservableCounter("beacon.spool.replayed", () => priorities.Select(p =>
            new Measurement<long>(spool.Replayed(p), PriorityTag(p))), "{record}", "Spooled records delivered to Kafka.");
        meter.CreateObservableCounter("beacon.spool.shed", () => priorities.Select(p =>
            new Measurement<long>(spool.Shed(p) + spool.Evicted(p), PriorityTag(p))), "{record}", "Records a full spool shed or evicted.");
    }

    private static KeyValuePair<string, object?> PriorityTag(Priority priority) => new("priority", $"p{(int)priority}");
}
