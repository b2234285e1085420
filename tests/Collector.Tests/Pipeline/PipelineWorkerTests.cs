using System.Net;
using System.Text;
using Beacon.Collector.Buffering;
using Beacon.Collector.Hosting;
using Beacon.Collector.Pipeline;
using Beacon.Parser.Input;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Routing;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Beacon.Router.Tests.Sinks;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Tests.Pipeline;

public sealed class PipelineWorkerTests
{
    [Fact]
    public async Task Pixels_are_answered_while_the_sink_is_stuck_and_land_once_it_recovers()
    {
        using var gate = new ManualResetEventSlim(initialState: false);
        await using var host = await CollectorHost.StartAsync(configureServices: services =>
            services.AddSingleton<IRecordSink>(sp => new GatedSink(
                new SegmentFileSink(sp.GetRequiredService<IOptions<BeaconOptions>>().Value.DataDirectory, new SegmentLogOptions()), gate)));

        for (var n = 0; n < 200; n++)
        {
            using var response = await host.Client.GetAsync($"/b.gif?e=pv&n={n}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The worker is stuck on the first record; everything else waits in the ring.
        Assert.True(host.Services.GetRequiredService<BeaconRing>().Count >= 199);
        gate.Set();
        await host.StopAsync();

        Assert.Equal(200, host.ReadTopic("beacon.p1").Count);
    }

    [Fact]
    public async Task Stopping_drains_the_ring_and_flushes_every_record()
    {
        await using var host = await CollectorHost.StartAsync();
        for (var n = 0; n < 500; n++)
        {
            using var response = await host.Client.GetAsync($"/b.gif?e=perf&n={n}");
        }

        await host.StopAsync();

        Assert.Equal(500, host.ReadTopic("beacon.p3").Count);
        Assert.Equal(0, host.Services.GetRequiredService<BeaconRing>().Count);
    }

    [Fact]
    public async Task An_idle_pipeline_waits_to_be_woken_instead_of_polling()
    {
        // While busy the worker naps between drains; once a nap brings nothing it must block again,
        // or an idle collector would wake a thousand times a second. Each pass of its loop flushes
        // the sink, so flushes count passes: blocked, one per idle timeout (100 ms); polling, one per nap.
        var sink = new CountingSink();
        await using var host = await CollectorHost.StartAsync(configureServices: services => services.AddSingleton<IRecordSink>(sink));
        for (var n = 0; n < 50; n++)
        {
            using var response = await host.Client.GetAsync($"/b.gif?e=pv&n={n}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (sink.Appends < 50 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(50, sink.Appends);
        await Task.Delay(100); // the last drain's nap, and the pass after it
        var before = sink.Flushes;
        await Task.Delay(1000);
        var passes = sink.Flushes - before;

        Assert.InRange(passes, 0, 50); // blocked: ~10; polling every nap: ~900
    }

    [Fact]
    public async Task A_record_the_sink_refuses_goes_to_the_dead_letter_topic_as_an_internal_error()
    {
        await using var host = await CollectorHost.StartAsync(configureServices: services =>
            services.AddSingleton<IRecordSink>(sp => new FailingSink(
                new SegmentFileSink(sp.GetRequiredService<IOptions<BeaconOptions>>().Value.DataDirectory, new SegmentLogOptions()),
                static (topic, value) => topic != "beacon.dlq" && value.Contains("boom", StringComparison.Ordinal))));

        using var bad = await host.Client.GetAsync("/b.gif?e=pv&n=boom");
        using var good = await host.Client.GetAsync("/b.gif?e=pv&n=fine");
        await host.StopAsync();

        var dead = Assert.Single(host.ReadTopic("beacon.dlq"));
        Assert.Equal("internal_error", dead.GetProperty("reason").GetString());
        Assert.Equal("e=pv&n=boom", dead.GetProperty("raw").GetString());
        Assert.Equal("fine", Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("props").GetProperty("n").GetString());
        Assert.Equal(0, host.Services.GetRequiredService<PipelineCounters>().Lost);
    }

    [Fact]
    public async Task A_flush_that_fails_is_counted_and_the_pipeline_goes_on()
    {
        var failing = true;
        await using var host = await CollectorHost.StartAsync(configureServices: services =>
            services.AddSingleton<IRecordSink>(sp => new FlakyFlushSink(
                new SegmentFileSink(sp.GetRequiredService<IOptions<BeaconOptions>>().Value.DataDirectory, new SegmentLogOptions()),
                () => Volatile.Read(ref failing))));
        var counters = host.Services.GetRequiredService<PipelineCounters>();

        using var during = await host.Client.GetAsync("/b.gif?e=pv&n=during");
        for (var waited = 0; counters.FlushFailures == 0; waited++)
        {
            Assert.True(waited < 6000, "no flush failed within a minute");
            await Task.Delay(10);
        }

        Volatile.Write(ref failing, false);
        using var after = await host.Client.GetAsync("/b.gif?e=pv&n=after");
        await host.StopAsync();

        Assert.Equal(["during", "after"], host.ReadTopic("beacon.p1").Select(static r => r.GetProperty("props").GetProperty("n").GetString()));
        Assert.Equal(0, counters.Lost);
    }

    [Fact]
    public async Task A_record_not_even_the_dead_letter_topic_takes_is_counted_as_lost_and_the_pipeline_goes_on()
    {
        await using var host = await CollectorHost.StartAsync(configureServices: services =>
            services.AddSingleton<IRecordSink>(sp => new FailingSink(
                new SegmentFileSink(sp.GetRequiredService<IOptions<BeaconOptions>>().Value.DataDirectory, new SegmentLogOptions()),
                static (_, value) => value.Contains("boom", StringComparison.Ordinal))));

        using var bad = await host.Client.GetAsync("/b.gif?e=pv&n=boom");
        using var good = await host.Client.GetAsync("/b.gif?e=pv&n=fine");
        await host.StopAsync();

        Assert.Equal(1, host.Services.GetRequiredService<PipelineCounters>().Lost);
        Assert.Empty(host.ReadTopic("beacon.dlq"));
        Assert.Equal("fine", Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("props").GetProperty("n").GetString());
    }

    [Fact]
    public async Task A_slot_its_producer_left_incomplete_is_counted_failed_to_its_waiter_and_skipped()
    {
        await using var host = await CollectorHost.StartAsync();
        var ring = host.Services.GetRequiredService<BeaconRing>();

        var acknowledgement = new CountingAcknowledgement();

        // A producer that failed between Begin and WriteContext: the slot is published unfinished.
        Assert.True(ring.TryClaim(Priority.P1, out var claim));
        claim.Slot.Begin(BeaconTransport.Pixel, 0, Guid.Empty, acknowledgement: acknowledgement);
        ring.Publish(claim);
        using var good = await host.Client.GetAsync("/b.gif?e=pv&n=fine");
        await host.StopAsync();

        Assert.Equal(1, host.Services.GetRequiredService<PipelineCounters>().Incomplete);
        Assert.Equal((0, 1), (acknowledgement.Acknowledged, acknowledgement.Failed)); // a batch waiting on it hears of the loss
        Assert.Equal("fine", Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("props").GetProperty("n").GetString());
        Assert.Empty(host.ReadTopic("beacon.dlq"));
    }

    [Fact]
    public async Task Stopping_ends_with_a_durable_flush_after_the_last_record()
    {
        var sink = new CountingSink();
        await using var host = await CollectorHost.StartAsync(configureServices: services => services.AddSingleton<IRecordSink>(sink));
        for (var n = 0; n < 20; n++)
        {
            using var response = await host.Client.GetAsync($"/b.gif?e=pv&n={n}");
        }

        await host.StopAsync();

        Assert.Equal(20, sink.Appends);
        Assert.True(sink.LastFlushWasDurable, "the last flush before the pipeline stopped was not durable");
    }

    /// <summary>Counts what the pipeline hands it.</summary>
    private sealed class CountingSink : IRecordSink
    {
        private int _appends;
        private int _flushes;
        private bool _lastFlushDurable;

        public int Appends => Volatile.Read(ref _appends);

        public int Flushes => Volatile.Read(ref _flushes);

        public bool LastFlushWasDurable => Volatile.Read(ref _lastFlushDurable);

        public void Append(in SinkRecord record) => Interlocked.Increment(ref _appends);

        public void Flush(bool durable)
        {
            Volatile.Write(ref _lastFlushDurable, durable);
            Interlocked.Increment(ref _flushes);
        }

        public void Dispose()
        {
        }
    }

    /// <summary>A sink that throws for the records a predicate picks (by topic and JSON value): a write the broker refuses.</summary>
    private sealed class FailingSink(IRecordSink inner, Func<string, string, bool> fails) : IRecordSink
    {
        public void Append(in SinkRecord record)
        {
            if (fails(record.Topic, Encoding.UTF8.GetString(record.Value)))
            {
                throw new IOException("refused");
            }

            inner.Append(record);
        }

        public void Flush(bool durable) => inner.Flush(durable);

        public void Dispose() => inner.Dispose();
    }


    /// <summary>A sink whose flushes throw while <paramref name="failing"/> says so: a disk that is full for a while.</summary>
    private sealed class FlakyFlushSink(IRecordSink inner, Func<bool> failing) : IRecordSink
    {
        public void Append(in SinkRecord record) => inner.Append(record);

        public void Flush(bool durable)
        {
            if (failing())
            {
                throw new IOException("No space left on device");
            }

            inner.Flush(durable);
        }

        public void Dispose() => inner.Dispose();
    }

    /// <summary>A sink whose appends wait for a gate: a broker or disk that has stopped answering.</summary>
    private sealed class GatedSink(IRecordSink inner, ManualResetEventSlim gate) : IRecordSink
    {
        public void Append(in SinkRecord record)
        {
            gate.Wait();
            inner.Append(record);
        }

        public void Flush(bool durable) => inner.Flush(durable);

        public void Dispose() => inner.Dispose();
    }
}
