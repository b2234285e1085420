using System.Diagnostics;
using Beacon.Collector.Buffering;
using Beacon.Collector.Diagnostics;
using Beacon.Parser.Decoding;
using Beacon.Parser.Input;
using Beacon.Parser.Model;
using Beacon.Router.Routing;
using Beacon.Router.Sinks;

namespace Beacon.Collector.Pipeline;

/// <summary>
/// Drains the ring on a dedicated thread: decode → route → sink, one record at a time, then
/// releases the slot. On shutdown it keeps draining until the ring is empty and flushes the sink
/// to disk, so nothing the edge accepted is lost.
/// </summary>
internal sealed partial class PipelineWorker(
    BeaconRing ring,
    BeaconDecoder decoder,
    EventRouter router,
    PipelineCounters counters,
    BeaconMetrics metrics,
    ILogger<PipelineWorker> logger) : IHostedService
{
    /// <summary>Records between flushes while busy, so readers see a steady stream.</summary>
    private const int FlushEvery = 4096;

    /// <summary>
    /// While records keep coming, the pause between two drains. Being woken for every record instead
    /// cost the pipeline thread about twice the CPU per pixel at 20k pixels/s (loadtest/threads.sh,
    /// docs/performance.md); a record waits at most about this much longer for its sink.
    /// </summary>
    private const int BusyNapMilliseconds = 1;

    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan DurableFlushInterval = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private Thread? _thread;
    private long _nextDurableFlush;
    private long _failedFlushes;
    private OncePerSecond _failedRecordLog;
    private OncePerSecond _lostRecordLog;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _thread = new Thread(Run) { Name = "beacon-pipeline", IsBackground = true };
        _thread.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        ring.Wake();
        await _stopped.Task.WaitAsync(cancellationToken);
    }

    private void Run()
    {
        try
        {
            var evt = new BeaconEvent();
            while (true)
            {
                var sinceFlush = 0;
                var drained = false;
                while (ring.TryRead(out var slot))
                {
                    Process(slot, evt);
                    ring.Release(slot);
                    drained = true;
                    if (++sinceFlush == FlushEvery)
                    {
                        FlushSink();
                        sinceFlush = 0;
                    }
                }

                FlushSink();

                // Busy: nap, then drain what came meanwhile. Idle (a nap brought nothing): block until woken.
                if (drained && !_stopping)
                {
                    Thread.Sleep(BusyNapMilliseconds);
                    continue;
                }

                // Producers can only be in flight while the server runs; it has stopped before we are asked to.
                if (_stopping && !ring.TryRead(out _))
                {
                    break;
                }

                ring.WaitForData(IdleWait);
            }

            router.Flush(durable: true);
            LogDrained(logger, ring.Admitted);
            _stopped.TrySetResult();
        }
#pragma warning disable CA1031 // The worker thread must report any failure instead of dying silently.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogWorkerFailed(logger, ex);
            _stopped.TrySetException(ex);
        }
    }

    /// <summary>
    /// Releases what lifted holds allow, hands records to the OS after every batch (readers see them)
    /// and fsyncs once a second even under steady load.
    /// </summary>
    private void FlushSink()
    {
        var durable = Environment.TickCount64 >= _nextDurableFlush;
        try
        {
            router.ReleaseHeld();
            router.Flush(durable);
        }
#pragma warning disable CA1031 // A failed flush (a full disk) must not stop the pipeline: its waiters were failed, and the next drain tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            counters.CountFlushFailure();
            if (_failedFlushes++ == 0)
            {
                LogFlushFailed(logger, ex);
            }

            return;
        }

        if (_failedFlushes > 0)
        {
            LogFlushRecovered(logger, _failedFlushes);
            _failedFlushes = 0;
        }

        if (durable)
        {
            _nextDurableFlush = Environment.TickCount64 + (long)DurableFlushInterval.TotalMilliseconds;
        }
    }

    private void Process(RingSlot slot, BeaconEvent evt)
    {
        if (!slot.IsComplete)
        {
            counters.CountIncomplete();
            slot.Acknowledgement?.Fail(1);
            return;
        }

        var raw = slot.AsRawBeacon();
        var started = Stopwatch.GetTimestamp();
        try
        {
            decoder.Decode(raw, evt);
            router.Route(raw, evt, slot.Acknowledgement);
            metrics.RecordDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
#pragma warning disable CA1031 // One bad record must not stop the pipeline: it goes to the dead-letter topic.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (_failedRecordLog.Allow(out var unlogged))
            {
                LogRecordFailed(logger, unlogged, ex);
            }

            RouteToDeadLetters(raw, evt, slot.Acknowledgement);
        }
    }

    private void RouteToDeadLetters(in RawBeacon raw, BeaconEvent evt, IRecordAcknowledgement? acknowledgement)
    {
        try
        {
            evt.Reject(RejectReason.InternalError);
            router.Route(raw, evt, acknowledgement);
        }
#pragma warning disable CA1031 // Even the dead-letter write failed: count the loss and keep draining.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (_lostRecordLog.Allow(out var unlogged))
            {
                LogRecordLost(logger, unlogged, ex);
            }

            counters.CountLost();
            acknowledgement?.Fail(1);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Pipeline drained after {Admitted} admitted records.")]
    private static partial void LogDrained(ILogger logger, long admitted);

    [LoggerMessage(EventId = 101, Level = LogLevel.Critical, Message = "The pipeline worker failed; records are no longer drained.")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception);

    /// <summary>
    /// One message a second at most: when every record fails (a full disk), the log says so once a second
    /// with how many went unlogged, instead of a stack trace per record. The counters count each one.
    /// </summary>
    private struct OncePerSecond
    {
        private long _next;
        private long _unlogged;

        public bool Allow(out long unlogged)
        {
            var now = Environment.TickCount64;
            if (now < _next)
            {
                _unlogged++;
                unlogged = 0;
                return false;
            }

            _next = now + 1000;
            unlogged = _unlogged;
            _unlogged = 0;
            return true;
        }
    }

    [LoggerMessage(EventId = 103, Level = LogLevel.Critical, Message = "A record could not be written even to the dead-letter topic; it is counted as lost ({Unlogged} more record failures since the last one logged).")]
    private static partial void LogRecordLost(ILogger logger, long unlogged, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "Flushing the sink failed; the pipeline goes on, and batches waiting for it are refused until a flush succeeds.")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Flushing the sink works again after {Failed} failed flushes.")]
    private static partial void LogFlushRecovered(ILogger logger, long failed);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "A record failed in the pipeline and goes to the dead-letter topic ({Unlogged} more record failures since the last one logged).")]
    private static partial void LogRecordFailed(ILogger logger, long unlogged, Exception exception);
}
