using System.Diagnostics.Metrics;
using Beacon.Router.Routing;
using Beacon.Router.Segments;

namespace Beacon.Router.Sinks;

/// <summary>
/// The embedded default sink: one <see cref="SegmentLog"/> per topic under a data directory
/// (<c>{data}/{topic}/*.seg</c>), so a fresh checkout runs with no broker.
/// </summary>
public sealed class SegmentFileSink : IRecordSink
{
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(1);
    private readonly string _dataDirectory;
    private readonly SegmentLogOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SegmentLog> _logs = new(StringComparer.Ordinal);
    private readonly Histogram<double>? _acknowledged;
    private readonly PendingAcknowledgements _pending = new();
    private Action<bool>? _flushLogs;
    private DateTimeOffset _nextMaintenance;

    public SegmentFileSink(string dataDirectory, SegmentLogOptions options, TimeProvider? time = null, Histogram<double>? acknowledged = null)
    {
        _acknowledged = acknowledged;
        _dataDirectory = Path.GetFullPath(dataDirectory);
        _options = options;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(_dataDirectory);
        try
        {
            // Topics already on disk open now: retention reaches them with no new records, and a newest
            // segment the writer cannot continue stops the start with its error, not every record of the topic.
            foreach (var directory in Directory.EnumerateDirectories(_dataDirectory).Order(StringComparer.Ordinal))
            {
                var topic = Path.GetFileName(directory);
                if (TopicNames.IsValid(topic) && Directory.EnumerateFiles(directory, "*" + SegmentFormat.Extension).Any())
                {
                    Open(topic);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string DataDirectory => _dataDirectory;

    public void Append(in SinkRecord record)
    {
        if (!_logs.TryGetValue(record.Topic, out var log))
        {
            log = Open(record.Topic);
        }

        log.Append(record.Key, record.Value, record.TimestampMs);
        if (record.Acknowledgement is { } waiter)
        {
            _pending.Add(waiter);
        }

        _acknowledged?.Record((_time.GetUtcNow().ToUnixTimeMilliseconds() - record.TimestampMs) / 1000.0);
    }

    /// <summary>Durable whenever a client waits for a record: one fsync per topic covers every batch appended since the last.</summary>
    public void Flush(bool durable)
    {
        _pending.Flush(durable, _flushLogs ??= FlushLogs);
        var now = _time.GetUtcNow();
        if (now >= _nextMaintenance)
        {
            _nextMaintenance = now + MaintenanceInterval;
            foreach (var log in _logs.Values)
            {
                log.Maintain();
            }
        }
    }

    public void Dispose()
    {
        foreach (var log in _logs.Values)
        {
            log.Dispose();
        }

        _logs.Clear();
    }

    /// <summary>The directory a topic's segments live in.</summary>
    public static string TopicDirectory(string dataDirectory, string topic) =>
        TopicNames.IsValid(topic)
            ? Path.Combine(dataDirectory, topic)
            : throw new ArgumentException($"'{topic}' is not a valid topic name.", nameof(topic));

    private SegmentLog Open(string topic)
    {
        var log = new SegmentLog(TopicDirectory(_dataDirectory, topic), _options, _time);
        _logs.Add(topic, log);
        return log;
    }

    /// <summary>Flushes every topic, also after one fails (each failure is its own topic's), then reports the first failure.</summary>
    private void FlushLogs(bool durable)
    {
        Exception? failure = null;
        foreach (var log in _logs.Values)
        {
            try
            {
                log.Flush(durable);
            }
#pragma warning disable CA1031 // rethrown below, after the other topics are flushed
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure ??= e;
            }
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }
}
