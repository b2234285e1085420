using Beacon.Router.Routing;

namespace Beacon.Router.Spooling;

/// <summary>What went into the spool and how it left, by priority; read by metrics, /readyz and tests.</summary>
public sealed class SpoolCounters
{
    private readonly long[] _spooled = new long[4];
    private readonly long[] _shed = new long[4];
    private readonly long[] _evicted = new long[4];
    private readonly long[] _replayed = new long[4];
    private long _bytes;
    private long _segments;
    private long _records;

    /// <summary>Records written to the spool.</summary>
    public long Spooled(Priority priority) => Volatile.Read(ref _spooled[(int)priority]);

    /// <summary>Records refused because the spool was full and nothing less important was left to evict.</summary>
    public long Shed(Priority priority) => Volatile.Read(ref _shed[(int)priority]);

    /// <summary>Spooled records deleted to make room for more important ones.</summary>
    public long Evicted(Priority priority) => Volatile.Read(ref _evicted[(int)priority]);

    /// <summary>Spooled records delivered to Kafka and deleted with their segment.</summary>
    public long Replayed(Priority priority) => Volatile.Read(ref _replayed[(int)priority]);

    /// <summary>Bytes on disk, as of the spool's last flush (safe to read from any thread).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Segment files, as of the last flush.</summary>
    public long Segments => Volatile.Read(ref _segments);

    /// <summary>Records waiting, as of the last flush.</summary>
    public long Records => Volatile.Read(ref _records);

    public long TotalSpooled => Sum(_spooled);

    public long TotalShed => Sum(_shed);

    public long TotalEvicted => Sum(_evicted);

    public long TotalReplayed => Sum(_replayed);

    internal void Publish(long bytes, long segments, long records)
    {
        Volatile.Write(ref _bytes, bytes);
        Volatile.Write(ref _segments, segments);
        Volatile.Write(ref _records, records);
    }

    internal void CountSpooled(Priority priority) => Interlocked.Increment(ref _spooled[(int)priority]);

    internal void CountShed(Priority priority) => Interlocked.Increment(ref _shed[(int)priority]);

    internal void CountEvicted(Priority priority, long records) => Interlocked.Add(ref _evicted[(int)priority], records);

    internal void CountReplayed(Priority priority, long records) => Interlocked.Add(ref _replayed[(int)priority], records);

    private static long Sum(long[] values)
    {
        long total = 0;
        for (var i = 0; i < values.Length; i++)
        {
            total += Volatile.Read(ref values[i]);
        }

        return total;
    }
}
