using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Xunit.Abstractions;

namespace Beacon.Collector.Tests.Pipeline;

public sealed partial class GracefulShutdownTests(ITestOutputHelper output) : IDisposable
{
    private const int Sigterm = 15;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "beacon-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Sigterm_during_load_loses_no_pixel_that_was_answered()
    {
        const int maxRequests = 40_000;
        const int sigtermAfter = 3_000;
        using var collector = StartCollector();
        var address = await ReadListeningAddressAsync(collector);
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        var answered = new ConcurrentBag<int>();
        var next = -1;

        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < maxRequests)
            {
                if (n == sigtermAfter)
                {
                    Assert.Equal(0, Kill(collector.Id, Sigterm));
                }

                try
                {
                    using var response = await client.GetAsync($"/b.gif?e=pv&n={n}");
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        answered.Add(n);
                    }
                }
                catch (HttpRequestException)
                {
                    return; // the server has stopped listening
                }
            }
        }));
        await collector.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

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

        output.WriteLine($"answered {answered.Count}, stored {stored.Count}, requests started {Math.Min(next, maxRequests)}");
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

    private Process StartCollector()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "Beacon.Collector.dll"),
                "--urls", "http://127.0.0.1:0",
                "--Beacon:DataDirectory=" + _dataDirectory,
            },
        };
        return Process.Start(start) ?? throw new InvalidOperationException("the collector did not start");
    }

    private static async Task<Uri> ReadListeningAddressAsync(Process collector)
    {
        const string marker = "Now listening on: ";
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (await collector.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                // Keep draining the output so the collector never blocks on a full pipe.
                _ = collector.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = collector.StandardError.ReadToEndAsync(CancellationToken.None);
                return new Uri(line[(at + marker.Length)..].Trim());
            }
        }

        throw new InvalidOperationException("the collector exited before it listened");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
