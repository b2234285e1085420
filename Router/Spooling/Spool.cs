using System.Globalization;
using Beacon.Router.Routing;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;

namespace Beacon.Router.Spooling;

/// <summary>
/// Where records wait while Kafka can't take them: one <see cref="SegmentLog"/> lane per topic, so a
/// restart finds them and replays them. The spool is capped in bytes. When full, it makes room by
/// evicting the oldest segments of less important lanes (p3 first); a record is shed only when
/// nothing less important is left, so p0 goes last. Used from one thread (the pipeline worker).
/// </summary>
public sealed class Spool : IDisposable
{
    private readonly string _directory;
    private readonly SpoolOptions _options;
    private readonly SegmentLogOptions _laneOptions;
    private readonly TimeProvider _time;
    private readonly List<SpoolLane> _lanes = [];
    private readonly Dictionary<string, SpoolLane> _byTopic = new(StringComparer.Ordinal);
    private readonly PendingAcknowledgements _pending = new();
    private Action<bool>? _flushLanes;

    public Spool(string directory, SpoolOptions options, SpoolCounters counters, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _directory = Path.GetFullPath(directory);
        _options = options;
        Counters = counters;
        _time = time ?? TimeProvider.System;

        // Lanes are deleted by replay and eviction, never by age or size retention.
        _laneOptions = new SegmentLogOptions
        {
            SegmentBytes = options.SegmentBytes,
            SegmentMaxAge = TimeSpan.MaxValue,
            RetentionMaxAge = TimeSpan.MaxValue,
            RetentionMaxBytes = long.MaxValue,
        };
        Directory.CreateDirectory(_directory);
        foreach (var priorityDirectory in Directory.EnumerateDirectories(_directory, "p?"))
        {
            if (!TryParsePriority(Path.GetFileName(priorityDirectory), out var priority))
            {
                continue;
            }

            foreach (var topicDirectory in Directory.EnumerateDirectories(priorityDirectory))
            {
                Open(Path.GetFileName(topicDirectory), priority);
            }
        }

        Flush(durable: false);
    }

    public SpoolCounters Counters { get; }

    public long MaxBytes => _options.MaxBytes;

    /// <summary>Bytes on disk across all lanes.</summary>
    public long Bytes => _lanes.Sum(static l => l.Log.TotalBytes);

    /// <summary>Records waiting across all lanes.</summary>
    public long Records => _lanes.Sum(static l => l.Log.RecordCount);

    /// <summary>Lanes, most important first.</summary>
    public IEnumerable<SpoolLane> Lanes => _lanes.OrderBy(static l => l.Priority);

    /// <summary>A segment being replayed: never evicted, since its records are in flight.</summary>
    public string? Pinned { get; set; }

    /// <summary>Spools a record; false when it was shed because the spool is full (counted).</summary>
    public bool TryAppend(in SinkRecord record)
    {
        var payload = SpoolEntry.Size(record);
        var frame = SegmentFormat.FrameLength(record.Key.Length, payload);

        // A record that opens a lane, or finds its lane's segment full, brings a new file's header too.
        var open = _byTopic.GetValueOrDefault(record.Topic);
        var needed = frame + (open is null || open.Log.NextAppendStartsSegment ? SegmentFormat.FileHeaderLength : 0);
        while (Bytes + needed > _options.MaxBytes)
        {
            if (!EvictBelow(record.Priority))
            {
                Counters.CountShed(record.Priority);
                record.Acknowledgement?.Fail(1);
                return false;
            }
        }

        var lane = open ?? Open(record.Topic, record.Priority);
        Span<byte> buffer = payload <= 4096 ? stackalloc byte[payload] : new byte[payload];
        SpoolEntry.Write(record, buffer);
        lane.Log.Append(record.Key, buffer, record.TimestampMs);
        Counters.CountSpooled(record.Priority);
        if (record.Acknowledgement is { } waiter)
        {
            _pending.Add(waiter);
        }

        return true;
    }

    /// <summary>Deletes a replayed segment whose every record Kafka acknowledged.</summary>
    public void Commit(SpoolLane lane, string segment)
    {
        ArgumentNullException.ThrowIfNull(lane);
        Counters.CountReplayed(lane.Priority, lane.Log.Delete(segment));
        if (Pinned == segment)
        {
            Pinned = null;
        }
    }

    /// <summary>
    /// Writes buffered records out and publishes the spool's size to <see cref="Counters"/> for other
    /// threads. Durable whenever a client waits for a spooled record (group commit: one fsync per lane).
    /// </summary>
    public void Flush(bool durable)
    {
        _pending.Flush(durable, _flushLanes ??= FlushLanes);

        Counters.Publish(Bytes, _lanes.Sum(static l => l.Log.SegmentCount), Records);
    }

    public void Dispose()
    {
        foreach (var lane in _lanes)
        {
            lane.Log.Dispose();
        }
    }

    /// <summary>Deletes the oldest segment of the least important lane below <paramref name="priority"/>.</summary>
    private bool EvictBelow(Priority priority)
    {
        foreach (var lane in _lanes.Where(l => l.Priority > priority).OrderByDescending(static l => l.Priority))
        {
            var victim = lane.Log.ClosedSegments.FirstOrDefault(s => s != Pinned);
            if (victim is null && lane.Log.Seal())
            {
                victim = lane.Log.ClosedSegments.FirstOrDefault(s => s != Pinned);
            }

            if (victim is not null)
            {
                Counters.CountEvicted(lane.Priority, lane.Log.Delete(victim));
                return true;
            }
        }

        return false;
    }

    private SpoolLane Open(string topic, Priority priority)
    {
        var directory = Path.Combine(_directory, PriorityName(priority), SegmentFileSink.TopicDirectory("", topic));
        var lane = new SpoolLane(topic, priority, new SegmentLog(directory, _laneOptions, _time));
        _lanes.Add(lane);
        _byTopic[topic] = lane;
        return lane;
    }

    private static string PriorityName(Priority priority) => "p" + ((int)priority).ToString(CultureInfo.InvariantCulture);

    private static bool TryParsePriority(string name, out Priority priority)
    {
        priority = default;
        return name.Length == 2 && name[0] == 'p' && name[1] is >= '0' and <= '3'
            && Enum.IsDefined(priority = (Priority)(name[1] - '0'));
    }

    private void FlushLanes(bool durable)
    {
        foreach (var lane in _lanes)
        {
            lane.Log.Flush(durable);
        }
    }
}
