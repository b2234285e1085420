using System.Net;
using Beacon.Collector.Hosting;
using Beacon.Collector.Tests.Batch;
using Xunit.Abstractions;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>
/// Inline scheduling, observed in the real collector process through the CPU time of its threads:
/// the runtime's socket event threads are named ".NET Sockets", thread-pool workers ".NET TP Worker".
/// </summary>
public sealed class InlineSchedulingTests(ITestOutputHelper output) : IDisposable
{
    private const string EventThreads = ".NET Sockets";
    private const string Workers = ".NET TP Worker";
    private const int Pixels = 20_000;
    private const int Batches = 40;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "beacon-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task As_shipped_pixels_run_on_the_socket_event_threads()
    {
        var (used, startup) = await CpuWhileAsync(AsShipped, SendPixelsAsync);

        Assert.True(used.GetValueOrDefault(EventThreads) > 3 * used.GetValueOrDefault(Workers), Describe(used));
        Assert.Contains(startup, static line => line.Contains("sockets complete inline: True", StringComparison.Ordinal)
            && line.Contains("where they complete: True", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Inline_completions_off_in_the_environment_hand_pixels_to_the_thread_pool()
    {
        var (used, startup) = await CpuWhileAsync(new Dictionary<string, string?> { [InlineScheduling.EnvironmentVariable] = "0" }, SendPixelsAsync);

        Assert.True(used.GetValueOrDefault(Workers) > 3 * used.GetValueOrDefault(EventThreads), Describe(used));
        Assert.Contains(startup, static line => line.Contains("sockets complete inline: False", StringComparison.Ordinal)
            && line.Contains("where they complete: False", StringComparison.Ordinal));
    }

    [Fact]
    public async Task As_shipped_a_batch_is_decompressed_and_parsed_on_the_thread_pool_not_an_event_thread()
    {
        // An event thread serves every connection on it; a batch's milliseconds of work there would stall them.
        var body = BatchRequests.Encode(BatchRequests.BatchJson(1000), "gzip");

        var (used, _) = await CpuWhileAsync(AsShipped, async client =>
        {
            for (var i = 0; i < Batches; i++)
            {
                var (status, answer) = await BatchRequests.SendAsync(client, BatchRequests.Post(body, "gzip"));
                Assert.True(status == 200, answer.ToString());
            }
        });

        Assert.True(used.GetValueOrDefault(Workers) > 3 * used.GetValueOrDefault(EventThreads), Describe(used));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    /// <summary>Whatever the test process's environment says, the collector starts as a deployment does.</summary>
    private static Dictionary<string, string?> AsShipped => new() { [InlineScheduling.EnvironmentVariable] = null };

    private static async Task SendPixelsAsync(HttpClient client)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < Pixels)
            {
                using var response = await client.GetAsync($"/b.gif?e=pv&n={n}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }));
    }

    /// <summary>
    /// Starts the collector with <paramref name="environment"/>, runs <paramref name="load"/>, and returns the ticks
    /// each thread name used, and what the collector logged at start-up.
    /// </summary>
    private async Task<(Dictionary<string, long> Used, IReadOnlyList<string> Startup)> CpuWhileAsync(IReadOnlyDictionary<string, string?> environment, Func<HttpClient, Task> load)
    {
        using var collector = await CollectorProcess.StartAsync(environment, "--Beacon:DataDirectory=" + _dataDirectory);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = collector.Address, Timeout = TimeSpan.FromSeconds(30) };
        using (var warmUp = await client.GetAsync("/b.gif?e=pv&n=warm-up"))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        var before = ThreadCpu.TicksByName(collector.Id);
        await load(client);
        var used = ThreadCpu.Since(before, ThreadCpu.TicksByName(collector.Id));
        output.WriteLine(Describe(used));
        return (used, collector.StartupOutput);
    }

    private static string Describe(Dictionary<string, long> used) =>
        string.Join(", ", used.Where(static u => u.Value > 0).OrderByDescending(static u => u.Value).Select(static u => $"{u.Key}: {u.Value} ticks"));
}
