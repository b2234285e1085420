using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Xunit.Abstractions;

namespace Beacon.Collector.Tests.Pipeline;

public sealed class GracefulShutdownTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "beacon-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Sigterm_during_load_turns_readiness_off_keeps_serving_through_the_drain_delay_and_loses_nothing_answered()
    {
        const int maxRequests = 40_000;
        const int sigtermAfter = 3_000;
        using var collector = await CollectorProcess.StartAsync("--Beacon:DataDirectory=" + _dataDirectory, "--Beacon:Drain:Delay=00:00:02");
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = collector.Address, Timeout = TimeSpan.FromSeconds(30) };
        using var admin = new HttpClient { BaseAddress = collector.AdminAddress };
        var answered = new ConcurrentBag<int>();
        var answeredWhileNotReady = 0;
        var notReady = false;
        var next = -1;

        var probe = Task.Run(async () =>
        {
            while (!notReady)
            {
                try
                {
                    using var readyz = await admin.GetAsync("/readyz");
                    notReady = readyz.StatusCode == HttpStatusCode.ServiceUnavailable;
                }
                catch (HttpRequestException)
                {
                    return;
                }
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < maxRequests)
            {
                if (n == sigtermAfter)
                {
                    collector.Terminate();
                }

                try
                {
                    using var response = await client.GetAsync($"/b.gif?e=pv&n={n}");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        answered.Add(n);
                        if (notReady)
                        {
                            Interlocked.Increment(ref answeredWhileNotReady);
                        }
                    }
                }
                catch (HttpRequestException)
                {
                    return; // the server has stopped listening
                }
            }
        }));
        await collector.WaitForExitAsync(TimeSpan.FromMinutes(1));
        await probe;

        Assert.Equal(0, collector.ExitCode);
        var stored = new List<int>();
        using (var cursor = new SegmentCursor(SegmentFileSink.TopicDirectory(_dataDirectory, "beacon.p1")))
        {
            while (cursor.TryRead(out var record))
            {
                using var json = JsonDocument.Parse(record.Value);
                stored.Add(int.Parse(json.RootElement.GetProperty("props").GetProperty("n").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        output.WriteLine($"answered {answered.Count} ({answeredWhileNotReady} while not ready), stored {stored.Count}, requests started {Math.Min(next, maxRequests)}");
        Assert.True(notReady, "/readyz never reported not ready");
        Assert.True(answeredWhileNotReady > 0, "nothing was served during the drain delay");
        Assert.True(answered.Count >= sigtermAfter, $"only {answered.Count} pixels were answered before the stop");
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Subset(stored.ToHashSet(), answered.ToHashSet());
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}
