namespace Beacon.Parser.Enrichment;

/// <summary>
/// A token bucket for User-Agent cache misses: <c>perSecond</c> full parses a second, with up to a
/// second's worth saved up. Hits never touch it; a miss takes the lock, which costs nothing beside the
/// parse it guards (0.1–0.3 ms). Safe for concurrent use.
/// </summary>
internal sealed class UserAgentMissBudget(int perSecond, TimeProvider time)
{
    private readonly Lock _lock = new();
    private double _tokens = perSecond;
    private long _refilledAt = time.GetTimestamp();
    private long _refused;

    /// <summary>Misses refused since the start.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Whether one more miss may be parsed now; 0 per second means no limit.</summary>
    public bool TryTake()
    {
        if (perSecond <= 0)
        {
            return true;
        }

        lock (_lock)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(perSecond, _tokens + (time.GetElapsedTime(_refilledAt, now).TotalSeconds * perSecond));
            _refilledAt = now;
            if (_tokens >= 1)
            {
                _tokens--;
                return true;
            }
        }

        Interlocked.Increment(ref _refused);
        return false;
    }
}
