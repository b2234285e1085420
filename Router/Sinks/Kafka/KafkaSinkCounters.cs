namespace Beacon.Router.Sinks.Kafka;

/// <summary>
/// The Kafka sink's accounting. Every record appended is, at every moment, exactly one of: delivered,
/// in flight, waiting to be spooled, in the spool, replayed (delivered from the spool), or a counted
/// drop (shed by a full spool, or evicted from it for a more important record).
/// </summary>
public sealed class KafkaSinkCounters
{
    private long _appended;
    private long _produced;
    private long _delivered;
    private long _failed;
    private long _replayDuplicates;

    /// <summary>Records the router handed to the sink.</summary>
    public long Appended => Volatile.Read(ref _appended);

    /// <summary>Records handed straight to the producer.</summary>
    public long Produced => Volatile.Read(ref _produced);

    /// <summary>Records Kafka acknowledged on their first try.</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Records whose first try failed (they go to the spool).</summary>
    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Produced and neither acknowledged nor failed yet.</summary>
    public long InFlight => Produced - Delivered - Failed;

    /// <summary>
    /// Records Kafka acknowledged during a replay that then failed part-way; the segment is replayed
    /// again, so these reach Kafka twice, with the same event id.
    /// </summary>
    public long ReplayDuplicates => Volatile.Read(ref _replayDuplicates);

    internal void CountAppended() => Interlocked.Increment(ref _appended);

    internal void CountProduced() => Interlocked.Increment(ref _produced);

    internal void CountDelivered() => Interlocked.Increment(ref _delivered);

    internal void CountFailed() => Interlocked.Increment(ref _failed);

    internal void CountReplayDuplicates(long records) => Interlocked.Add(ref _replayDuplicates, records);
}
