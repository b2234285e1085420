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
