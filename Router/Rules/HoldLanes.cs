using System.Globalization;
using System.Text;
using Beacon.Router.Routing;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Beacon.Router.Spooling;

namespace Beacon.Router.Rules;

/// <summary>
/// Records deferred by hold rules: one segment log per rule under <c>{data}/held/{rule id}/</c>. While
/// the rule is in force its records wait on disk; once it is lifted (removed, or past its end) the
/// pipeline releases them to the sink in the order they came, at a bounded rate, then deletes the lane.
/// Used from the pipeline thread only.
/// </summary>
public sealed class HoldLanes : IDisposable
{
    private const string ReleasedFile = "released";
    private readonly string _directory;
    private readonly HoldOptions _options;
    private readonly RuleBook _book;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly List<Lane> _finished = [];
    private readonly byte[] _entry = new byte[64 * 1024];
    private readonly PendingAcknowledgements _pending = new();
    private Action<bool>? _flushLanes;
    private double _tokens;
    private long _lastRefill;

    public HoldLanes(string directory, HoldOptions options, RuleBook book, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _directory = directory;
        _options = options;
        _book = book;
        _time = time ?? TimeProvider.System;
        _lastRefill = _time.GetTimestamp();
        Directory.CreateDirectory(directory);
        foreach (var lane in Directory.GetDirectories(directory))
        {
            Open(Path.GetFileName(lane));
        }
    }

    /// <summary>Records waiting in all lanes.</summary>
    public long Waiting => _lanes.Values.Sum(static l => l.Log.RecordCount - l.Released);

    /// <summary>Defers a record for <paramref name="rule"/>; false when the rule's lane is full (the caller writes it instead).</summary>
    public bool TryHold(Rule rule, in SinkRecord record)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (!_lanes.TryGetValue(rule.Id, out var lane))
        {
            lane = Open(rule.Id);
        }
        else if (lane.Done)
        {
            // The hold came back before the released lane was deleted: keep the lane, its cursor carries on.
            lane.Done = false;
            _finished.Remove(lane);
        }

        var topic = Encoding.UTF8.GetByteCount(record.Topic);
        var size = 2 + topic + SpoolEntry.Size(record);
        // What the append puts on disk: the frame, and a new segment's header when the current one is full.
        var needed = SegmentFormat.FrameLength(record.Key.Length, size) + (lane.Log.NextAppendStartsSegment ? SegmentFormat.FileHeaderLength : 0);
        if (lane.Log.TotalBytes + needed > _options.MaxBytesPerRule)
        {
            return false;
        }

        var entry = size <= _entry.Length ? _entry.AsSpan(0, size) : new byte[size];
        entry[0] = (byte)topic;
        Encoding.UTF8.GetBytes(record.Topic, entry[1..]);
        entry[1 + topic] = (byte)record.Priority;
        SpoolEntry.Write(record, entry[(2 + topic)..]);
        lane.Log.Append(record.Key, entry, record.TimestampMs);
        lane.Appended = true;
        if (record.Acknowledgement is { } waiter)
        {
            _pending.Add(waiter);
        }

        return true;
    }

    /// <summary>
    /// Sends records of lifted holds to <paramref name="sink"/>, oldest first, within the release rate.
    /// Returns how many were sent.
    /// </summary>
    public int Release(IRecordSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_lanes.Count == 0)
        {
            return 0;
        }

        var now = _time.GetTimestamp();
        var rate = Math.Max(1, _options.ReleaseRecordsPerSecond);
        _tokens = Math.Min(rate, _tokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * rate));
        _lastRefill = now;
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var current = _book.Current;
        var sent = 0;
        foreach (var lane in _lanes.Values)
        {
            if (current.IsHolding(lane.RuleId, nowMs) || lane.Done)
            {
                continue;
            }

            if (lane.Appended)
            {
                lane.Log.Flush(durable: false);
                lane.Appended = false;
            }

            lane.Cursor ??= SkipReleased(lane);
            var before = lane.Released;
            while (_tokens >= 1 && lane.Cursor.TryRead(out var record))
            {
                Send(sink, record);
                lane.Released++;
                _tokens--;
            }

            if (lane.Released > before)
            {
                sent += (int)(lane.Released - before);
                _book.CounterFor(lane.RuleId).CountReleased(lane.Released - before);
                File.WriteAllText(Path.Combine(lane.Log.DirectoryPath, ReleasedFile), lane.Released.ToString(CultureInfo.InvariantCulture));
            }

            if (lane.Released >= lane.Log.RecordCount)
            {
                lane.Done = true;
                _finished.Add(lane);
            }
        }

        return sent;
    }

    /// <summary>
    /// Flushes the lanes (durably whenever a client waits for a held record); after a durable flush
    /// (the sink's comes first) released lanes are deleted.
    /// </summary>
    public void Flush(bool durable)
    {
        durable = _pending.Flush(durable, _flushLanes ??= FlushLanes);
        if (!durable || _finished.Count == 0)
        {
            return;
        }

        foreach (var lane in _finished)
        {
            lane.Dispose();
            Directory.Delete(lane.Log.DirectoryPath, recursive: true);
            _lanes.Remove(lane.RuleId);
        }

        _finished.Clear();
    }

    public void Dispose()
    {
        foreach (var lane in _lanes.Values)
        {
            lane.Log.Flush(durable: true);
            lane.Dispose();
        }

        _lanes.Clear();
    }

    private void FlushLanes(bool durable)
    {
        foreach (var lane in _lanes.Values)
        {
            if (!lane.Done)
            {
                lane.Log.Flush(durable);
            }
        }
    }

    private static void Send(IRecordSink sink, SegmentRecord record)
    {
        var entry = record.Value.Span;
        var topic = Encoding.UTF8.GetString(entry.Slice(1, entry[0]));
        var priority = (Priority)entry[1 + entry[0]];
        if (!SpoolEntry.TryRead(entry[(2 + entry[0])..], out var route, out var sampleRate, out var value))
        {
            return;
        }

        sink.Append(new SinkRecord(topic, record.Key.Span, value, record.TimestampMs, priority, route, sampleRate));
    }

    private static SegmentCursor SkipReleased(Lane lane)
    {
        var cursor = new SegmentCursor(lane.Log.DirectoryPath);
        for (var i = 0L; i < lane.Released && cursor.TryRead(out _); i++)
        {
        }

        return cursor;
    }

    private Lane Open(string ruleId)
    {
        var path = Path.Combine(_directory, ruleId);
        // Held records are released, never aged out: no retention on a lane.
        var log = new SegmentLog(path, new SegmentLogOptions
        {
            SegmentBytes = _options.SegmentBytes,
            SegmentMaxAge = TimeSpan.FromDays(3650),
            RetentionMaxAge = TimeSpan.MaxValue,
            RetentionMaxBytes = long.MaxValue,
        }, _time);
        var releasedPath = Path.Combine(path, ReleasedFile);
        var released = File.Exists(releasedPath) && long.TryParse(File.ReadAllText(releasedPath), CultureInfo.InvariantCulture, out var n) ? n : 0;
        var lane = new Lane(ruleId, log) { Released = released };
        _lanes[ruleId] = lane;
        return lane;
    }

    private sealed class Lane(string ruleId, SegmentLog log) : IDisposable
    {
        public string RuleId { get; } = ruleId;

        public SegmentLog Log { get; } = log;

        public SegmentCursor? Cursor { get; set; }

        public long Released { get; set; }

        public bool Appended { get; set; }

        public bool Done { get; set; }

        public void Dispose()
        {
            Cursor?.Dispose();
            Log.Dispose();
        }
    }
}
