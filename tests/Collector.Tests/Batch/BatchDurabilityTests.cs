using Beacon.Collector.Hosting;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Microsoft.Extensions.Options;
using static Beacon.Collector.Tests.Batch.BatchRequests;

namespace Beacon.Collector.Tests.Batch;

/// <summary>A batch is answered only when the sink says its events are durable, and 503 when it says they can't be kept.</summary>
public sealed class BatchDurabilityTests
{
    [Fact]
    public async Task A_batch_is_not_answered_until_the_sink_has_made_its_events_durable()
    {
        var sink = new HeldDurabilitySink();
        await using var host = await CollectorHost.StartAsync(configureServices: services =>
            services.AddSingleton<IRecordSink>(sp => sink.Wrap(new SegmentFileSink(
                sp.GetRequiredService<IOptions<BeaconOptions>>().Value.DataDirectory, new SegmentLogOptions()))));

        var answer = SendAsync(host.Client, Post(BatchJson(20)));
        await sink.AppendedAsync(20);

        // Appended and flushed to the OS, but no fsync has covered them: no answer yet.
        await Task.WhenAny(answer, Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.False(answer.IsCompleted);
        sink.AllowDurability();

        var (status, body) = await answer;
        Assert.Equal(200, status);
        Assert.Equal(20, body.GetProperty("accepted").GetInt32());
        Assert.True(sink.DurableFlushes > 0);
    }

    [Fact]
    public async Task A_batch_whose_events_the_sink_cannot_keep_is_503()
    {
        var sink = new HeldDurabilitySink { FailEverything = true };
        await using var host = await CollectorHost.StartAsync(configureServices: services =>
            services.AddSingleton<IRecordSink>(sp => sink.Wrap(new SegmentFileSink(
                sp.GetRequiredService<IOptions<BeaconOptions>>().Value.DataDirectory, new SegmentLogOptions()))));

        var (status, body) = await SendAsync(host.Client, Post(BatchJson(3)));

        Assert.Equal(503, status);
        Assert.Equal("sink_failed", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_batch_not_durable_within_the_timeout_is_503()
    {
        var sink = new HeldDurabilitySink();
        await using var host = await CollectorHost.StartAsync(
            new Dictionary<string, string?> { ["Beacon:Batch:AckTimeout"] = "00:00:01" },
            services => services.AddSingleton<IRecordSink>(sp => sink.Wrap(new SegmentFileSink(
                sp.GetRequiredService<IOptions<BeaconOptions>>().Value.DataDirectory, new SegmentLogOptions()))));

        var (status, body) = await SendAsync(host.Client, Post(BatchJson(3)));
        sink.AllowDurability();

        Assert.Equal(503, status);
        Assert.Equal("ack_timeout", body.GetProperty("error").GetString());
    }

    /// <summary>
    /// Passes records to a real sink but keeps their acknowledgements until the test allows durability,
    /// as a disk whose fsync hangs would; or fails every one, as Kafka down with a full spool would.
    /// </summary>
    private sealed class HeldDurabilitySink
    {
        private readonly Lock _lock = new();
        private readonly List<IRecordAcknowledgement> _held = [];
        private readonly TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _appendedCount;
        private int _expected = int.MaxValue;
        private volatile bool _durable;
        private int _durableFlushes;

        public bool FailEverything { get; init; }

        public int DurableFlushes => Volatile.Read(ref _durableFlushes);

        public IRecordSink Wrap(IRecordSink inner) => new Sink(this, inner);

        public Task AppendedAsync(int count)
        {
            lock (_lock)
            {
                _expected = count;
                if (_appendedCount >= count)
                {
                    _appended.TrySetResult();
                }
            }

            return _appended.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public void AllowDurability() => _durable = true;

        private sealed class Sink(HeldDurabilitySink owner, IRecordSink inner) : IRecordSink
        {
            public void Append(in SinkRecord record)
            {
                inner.Append(new SinkRecord(record.Topic, record.Key, record.Value, record.TimestampMs, record.Priority, record.Route, record.SampleRate));
                if (record.Acknowledgement is not { } waiter)
                {
                    return;
                }

                if (owner.FailEverything)
                {
                    waiter.Fail(1);
                    return;
                }

                lock (owner._lock)
                {
                    owner._held.Add(waiter);
                    if (++owner._appendedCount >= owner._expected)
                    {
                        owner._appended.TrySetResult();
                    }
                }
            }

            public void Flush(bool durable)
            {
                inner.Flush(durable);
                if (!owner._durable)
                {
                    return;
                }

                inner.Flush(durable: true);
                Interlocked.Increment(ref owner._durableFlushes);
                List<IRecordAcknowledgement> held;
                lock (owner._lock)
                {
                    held = [.. owner._held];
                    owner._held.Clear();
                }

                foreach (var waiter in held)
                {
                    waiter.Acknowledge(1);
                }
            }

            public void Dispose() => inner.Dispose();
        }
    }
}
