namespace Beacon.Router.Sinks;

/// <summary>
/// Acknowledgements waiting for the next fsync, kept as runs (consecutive records of one batch are one
/// entry), so group commit costs one list entry per batch rather than per record. One thread only.
/// </summary>
public sealed class PendingAcknowledgements
{
    private readonly List<(IRecordAcknowledgement Waiter, int Records)> _runs = [];

    public bool IsEmpty => _runs.Count == 0;

    /// <summary>Adds one record of <paramref name="waiter"/>.</summary>
    public void Add(IRecordAcknowledgement waiter)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        if (_runs.Count > 0 && ReferenceEquals(_runs[^1].Waiter, waiter))
        {
            _runs[^1] = (waiter, _runs[^1].Records + 1);
            return;
        }

        _runs.Add((waiter, 1));
    }

    /// <summary>
    /// Group commit: runs <paramref name="flush"/>, durably whenever a record is waiting (one fsync covers
    /// every waiter since the last), then tells the waiters — acknowledged after a durable flush, failed
    /// if the flush threw. Returns whether the flush was durable.
    /// </summary>
    public bool Flush(bool durable, Action<bool> flush)
    {
        ArgumentNullException.ThrowIfNull(flush);
        durable |= !IsEmpty;
        try
        {
            flush(durable);
        }
        catch
        {
            FailAll();
            throw;
        }

        if (durable)
        {
            AcknowledgeAll();
        }

        return durable;
    }

    /// <summary>After an fsync: every pending record is durable.</summary>
    public void AcknowledgeAll()
    {
        foreach (var (waiter, records) in _runs)
        {
            waiter.Acknowledge(records);
        }

        _runs.Clear();
    }

    /// <summary>The fsync failed: nobody may be told their records are safe.</summary>
    public void FailAll()
    {
        foreach (var (waiter, records) in _runs)
        {
            waiter.Fail(records);
        }

        _runs.Clear();
    }
}
