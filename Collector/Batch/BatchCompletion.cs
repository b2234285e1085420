using Beacon.Router.Sinks;

namespace Beacon.Collector.Batch;

/// <summary>
/// One batch request's wait for durability: every slot of the batch carries it through the pipeline,
/// and the sink counts records down as Kafka acknowledges them or an fsync covers them. Completes true
/// when all are durable, false as soon as one could not be kept.
/// </summary>
internal sealed class BatchCompletion(int records) : IRecordAcknowledgement
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = records;

    /// <summary>True when every record is durable; false when one failed.</summary>
    public Task<bool> Durable => _done.Task;

    public void Acknowledge(int records)
    {
        if (Interlocked.Add(ref _remaining, -records) <= 0)
        {
            _done.TrySetResult(true);
        }
    }

    public void Fail(int records) => _done.TrySetResult(false);
}
