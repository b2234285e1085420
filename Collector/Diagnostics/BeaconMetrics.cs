using System.Diagnostics.Metrics;
using Beacon.Collector.Batch;
using Beacon.Collector.Buffering;
using Beacon.Collector.Edge;
using Beacon.Parser.Decoding;
using Beacon.Parser.Model;
using Beacon.Router.Routing;
using Beacon.Router.Rules;
using Beacon.Router.Sinks.Kafka;
using Beacon.Router.Spooling;

namespace Beacon.Collector.Diagnostics;

/// <summary>
/// The collector's instruments on the "Beacon" meter. Counts are observed from the counters each
/// stage keeps, so the hot path pays nothing for them; the two histograms are recorded directly.
/// Names are dotted with units, as Kestrel's are; <see cref="PrometheusExporter"/> renders them.
/// </summary>
public sealed class BeaconMetrics
{
    public const string MeterName = "Beacon";

    private readonly Meter _meter;

    public BeaconMetrics(
        IMeterFactory meterFactory,
        BeaconRing ring,
        EdgeCounters edge,
        RouterCounters router,
        KafkaSinkCounters kafka,
        SpoolCounters spool,
        RuleBook rules,
        BatchCounters batch,
        BeaconDecoder decoder,
        Pipeline.PipelineCounters pipeline)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        var meter = _meter;
        var priorities = Enum.GetValues<Priority>();
        var reasons = Enum.GetValues<RejectReason>().Where(static r => r != RejectReason.None).ToArray();
        var edgeReasons = Enum.GetValues<EdgeRejection>();

        RecordDuration = meter.CreateHistogram("beacon.pipeline.record.duration", "s",
            "Time the pipeline spends on one record: decode, route, serialise, hand to the sink.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2] });
        Acknowledged = meter.CreateHistogram("beacon.event.latency", "s",
            "Time from receiving an event to its sink acknowledging it (written to a segment, or acked by Kafka).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });

        meter.CreateObservableCounter("beacon.pipeline.lost", () => new[]
        {
            new Measurement<long>(pipeline.Lost, new KeyValuePair<string, object?>("reason", "unroutable")),
            new Measurement<long>(pipeline.Incomplete, new KeyValuePair<string, object?>("reason", "incomplete")),
        }, "{record}", "Records the pipeline could not keep: failed and then refused by the dead-letter topic too (unroutable), or left half-copied by the edge (incomplete).");
        meter.CreateObservableCounter("beacon.pipeline.flush_failures", () => pipeline.FlushFailures, "{flush}",
            "Flushes of the sink that failed (a full disk, say); the batches waiting on them were answered 503.");
        meter.CreateObservableCounter("beacon.ring.admitted", () => ring.Admitted, "{record}", "Records the edge put into the ring.");
        meter.CreateObservableCounter("beacon.ring.shed", () => priorities.Select(p =>
            new Measurement<long>(ring.Shed(p), PriorityTag(p))), "{record}", "Records the ring shed because it was too full for their priority.");
        meter.CreateObservableUpDownCounter("beacon.ring.occupancy", () => ring.Count, "{record}", "Records waiting in the ring.");
        meter.CreateObservableUpDownCounter("beacon.ring.capacity", () => ring.Capacity, "{record}", "Records the ring can hold.");
        meter.CreateObservableCounter("beacon.events.routed", () => router.ByRoute.Select(static r =>
            new Measurement<long>(r.Events, new KeyValuePair<string, object?>("route", r.Route.Name), PriorityTag(r.Route.Priority))),
            "{event}", "Events written to their route's topic.");
        meter.CreateObservableCounter("beacon.events.rejected", () => reasons.Select(r =>
            new Measurement<long>(router.Rejected(r), new KeyValuePair<string, object?>("reason", r.Name()))), "{event}", "Records sent to the dead-letter topic, by reason.");
        meter.CreateObservableCounter("beacon.user_agents.unparsed", () => decoder.UnparsedUserAgents, "{record}",
            "Good records left without a parsed User-Agent: cache misses over Beacon:Parser:UserAgentMissesPerSecond.");
        meter.CreateObservableCounter("beacon.edge.rejected", () => edgeReasons.Select(r =>
            new Measurement<long>(edge.Rejected(r), new KeyValuePair<string, object?>("reason", r.ToString()))), "{request}", "Requests refused at the edge, by reason.");
        meter.CreateObservableCounter("beacon.batch.accepted", () => batch.Batches, "{batch}", "Batches answered 200: their accepted events are durable.");
        meter.CreateObservableCounter("beacon.batch.events.accepted", () => batch.AcceptedEvents, "{event}", "Events of batches answered 200.");
        meter.CreateObservableCounter("beacon.batch.repeated", () => batch.Repeated, "{request}", "Batch requests answered from the batch-id cache (retries, concurrent duplicates).");
        meter.CreateObservableCounter("beacon.batch.refused", () => Enum.GetValues<BatchRefusal>().Select(r =>
            new Measurement<long>(batch.Refused(r), new KeyValuePair<string, object?>("reason", r.Name()))), "{request}", "Batches refused whole (4xx, or 503 when they could not be made durable), by reason.");
        meter.CreateObservableCounter("beacon.batch.events.rejected", () => Enum.GetValues<BatchEventRejection>().Select(r =>
            new Measurement<long>(batch.Rejected(r), new KeyValuePair<string, object?>("reason", r.Name()))), "{event}", "Events of a batch rejected by index (the others kept), by reason.");
        meter.CreateObservableCounter("beacon.kafka.delivered", () => kafka.Delivered, "{record}", "Records Kafka acknowledged on their first try.");
        meter.CreateObservableCounter("beacon.kafka.failed", () => kafka.Failed, "{record}", "Records whose first delivery failed (spooled).");
        meter.CreateObservableUpDownCounter("beacon.kafka.in_flight", () => kafka.InFlight, "{record}", "Records in the producer's queue, not yet settled.");
        meter.CreateObservableCounter("beacon.kafka.replay_duplicates", () => kafka.ReplayDuplicates, "{record}", "Records sent twice because a replay failed part-way (same event id).");
        meter.CreateObservableCounter("beacon.spool.spooled", () => priorities.Select(p =>
            new Measurement<long>(spool.Spooled(p), PriorityTag(p))), "{record}", "Records written to the spool.");
        meter.CreateObservableCounter("beacon.spool.replayed", () => priorities.Select(p =>
            new Measurement<long>(spool.Replayed(p), PriorityTag(p))), "{record}", "Spooled records delivered to Kafka.");
        meter.CreateObservableCounter("beacon.spool.shed", () => priorities.Select(p =>
            new Measurement<long>(spool.Shed(p) + spool.Evicted(p), PriorityTag(p))), "{record}", "Records a full spool shed or evicted.");
        meter.CreateObservableUpDownCounter("beacon.spool.size", () => spool.Bytes, "By", "Bytes in the spool.");
        meter.CreateObservableUpDownCounter("beacon.spool.segments", () => spool.Segments, "{segment}", "Segment files in the spool.");
        meter.CreateObservableUpDownCounter("beacon.spool.records", () => spool.Records, "{record}", "Records waiting in the spool.");
        var outcomes = Enum.GetValues<RuleOutcome>();
        meter.CreateObservableCounter("beacon.events.outcome", () => priorities.SelectMany(p => outcomes.Select(o =>
            new Measurement<long>(router.Outcome(p, o), PriorityTag(p), OutcomeTag(o)))), "{event}",
            "Valid events by priority and what the rules decided: kept, sampled_out, held, dropped.");
        meter.CreateObservableGauge("beacon.config.version", () => rules.Current.Version, "{version}", "The rules version in force.");
        meter.CreateObservableCounter("beacon.config.changes", () => rules.History.Count - 1, "{change}", "Rule versions this replica has applied since it started.");
        meter.CreateObservableCounter("beacon.rule.matched", () => rules.Counters.Select(static c =>
            new Measurement<long>(c.Value.Matched, new KeyValuePair<string, object?>("rule", c.Key))), "{event}", "Events each rule decided (the first active rule whose scope matched).");
        meter.CreateObservableCounter("beacon.rule.events", () => rules.Counters.SelectMany(static c => new[]
        {
            RuleMeasurement(c.Key, c.Value.SampledOut, "sampled_out"),
            RuleMeasurement(c.Key, c.Value.Held, "held"),
            RuleMeasurement(c.Key, c.Value.Released, "released"),
            RuleMeasurement(c.Key, c.Value.Dropped, "dropped"),
        }), "{event}", "What each rule did with the events it matched (released: held records sent on after the hold was lifted).");
    }

    private static KeyValuePair<string, object?> OutcomeTag(RuleOutcome outcome) => new("outcome", outcome switch
    {
        RuleOutcome.Kept => "kept",
        RuleOutcome.SampledOut => "sampled_out",
        RuleOutcome.Held => "held",
        _ => "dropped",
    });

    private static Measurement<long> RuleMeasurement(string rule, long value, string outcome) =>
        new(value, new KeyValuePair<string, object?>("rule", rule), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Per-record pipeline time (decode + route + append).</summary>
    public Histogram<double> RecordDuration { get; }

    /// <summary>Receive → sink acknowledgement.</summary>
    public Histogram<double> Acknowledged { get; }

    /// <summary>Publishes the Kafka sink's health and brokers once it exists (it needs <see cref="Acknowledged"/> first).</summary>
    public void Observe(KafkaSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _meter.CreateObservableGauge("beacon.kafka.healthy", () => sink.IsHealthy ? 1 : 0, "1", "1 while Kafka takes records, 0 while they go to the spool.");
        _meter.CreateObservableGauge("beacon.kafka.brokers_up", () => sink.BrokersUp, "{broker}", "Brokers librdkafka reports up (-1 before its first statistics).");
    }

    /// <summary>Publishes readiness, so a dashboard shows what the probes see.</summary>
    public void Observe(Admin.CollectorHealth health)
    {
        ArgumentNullException.ThrowIfNull(health);
        _meter.CreateObservableGauge("beacon.ready", () => health.IsReady ? 1 : 0, "1", "1 while this replica reports ready.");
        _meter.CreateObservableGauge("beacon.draining", () => health.IsDraining ? 1 : 0, "1", "1 after SIGTERM, while draining.");
    }

    private static KeyValuePair<string, object?> PriorityTag(Priority priority) => new("priority", $"p{(int)priority}");
}
