namespace Beacon.Collector.Pipeline;

/// <summary>Records the pipeline could not route at all; both are part of the accounting, never silent.</summary>
public sealed class PipelineCounters
{
    private long _incomplete;
    private long _lost;
    private long _flushFailures;

    /// <summary>Slots a producer failed to fill (it threw while copying the request in).</summary>
    public long Incomplete => Volatile.Read(ref _incomplete);

    /// <summary>Records that failed in the pipeline and then failed to reach the dead-letter topic too.</summary>
    public long Lost => Volatile.Read(ref _lost);

    /// <summary>Flushes of the sink that failed (a full disk); the batches waiting on them were answered 503.</summary>
    public long FlushFailures => Volatile.Read(ref _flushFailures);

    internal void CountIncomplete() => Interlocked.Increment(ref _incomplete);

    internal void CountLost() => Interlocked.Increment(ref _lost);

    internal void CountFlushFailure() => Interlocked.Increment(ref _flushFailures);
}
