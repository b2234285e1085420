namespace Beacon.Router.Rules;

/// <summary>What one rule (by id) did: events matched and their outcomes. Written by the pipeline thread, read by metrics.</summary>
public sealed class RuleCounter
{
    private long _matched, _kept, _sampledOut, _held, _released, _dropped;

    public long Matched => Volatile.Read(ref _matched);

    /// <summary>Matched by a sample rule and kept.</summary>
    public long Kept => Volatile.Read(ref _kept);

    public long SampledOut => Volatile.Read(ref _sampledOut);

    /// <summary>Deferred to the hold lane.</summary>
    public long Held => Volatile.Read(ref _held);

    /// <summary>Released from the hold lane after the rule was lifted.</summary>
    public long Released => Volatile.Read(ref _released);

    public long Dropped => Volatile.Read(ref _dropped);

    internal void Count(RuleOutcome outcome)
    {
        Interlocked.Increment(ref _matched);
        switch (outcome)
        {
            case RuleOutcome.Kept: Interlocked.Increment(ref _kept); break;
            case RuleOutcome.SampledOut: Interlocked.Increment(ref _sampledOut); break;
            case RuleOutcome.Held: Interlocked.Increment(ref _held); break;
            case RuleOutcome.Dropped: Interlocked.Increment(ref _dropped); break;
        }
    }

    internal void CountReleased(long records) => Interlocked.Add(ref _released, records);
}
