using System.Net;
using Beacon.Collector.Buffering;
using Beacon.Collector.Hosting;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
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

    /// <summary>Counts what the pipeline hands it.</summary>
    private sealed class CountingSink : IRecordSink
    {
        private int _appends;
        private int _flushes;

        public int Appends => Volatile.Read(ref _appends);

        public int Flushes => Volatile.Read(ref _flushes);

        public void Append(in SinkRecord record) => Interlocked.Increment(ref _appends);

        public void Flush(bool durable) => Interlocked.Increment(ref _flushes);

        public void Dispose()
        {
        }
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
