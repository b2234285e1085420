namespace Beacon.Collector.Batch;

/// <summary>What <c>/v1/batch</c> did, by outcome and reason; read by metrics and tests.</summary>
public sealed class BatchCounters
{
    private readonly long[] _refused = new long[Enum.GetValues<BatchRefusal>().Length];
    private readonly long[] _rejected = new long[Enum.GetValues<BatchEventRejection>().Length];
    private long _batches;
    private long _events;
    private long _repeated;

    /// <summary>Batches answered 200 (their accepted events are durable).</summary>
    public long Batches => Volatile.Read(ref _batches);

    /// <summary>Events of 200 batches: durable in Kafka or an fsync'd file.</summary>
    public long AcceptedEvents => Volatile.Read(ref _events);

    /// <summary>Requests answered from the batch-id cache (a retry or a concurrent duplicate): nothing enqueued again.</summary>
    public long Repeated => Volatile.Read(ref _repeated);

    public long Refused(BatchRefusal reason) => Volatile.Read(ref _refused[(int)reason]);

    public long Rejected(BatchEventRejection reason) => Volatile.Read(ref _rejected[(int)reason]);

    internal void CountRefused(BatchRefusal reason) => Interlocked.Increment(ref _refused[(int)reason]);

    internal void CountRejected(BatchEventRejection reason) => Interlocked.Increment(ref _rejected[(int)reason]);

    internal void CountAccepted(int events)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _events, events);
    }

    internal void CountRepeated() => Interlocked.Increment(ref _repeated);
}
