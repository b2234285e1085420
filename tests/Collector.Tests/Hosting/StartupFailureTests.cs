using System.Net;
using System.Net.Sockets;
using Beacon.Router.Tests;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>What stops the collector from starting is said once on standard error, with exit status 1 (not a crash).</summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string DataDirectory => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_setting_out_of_range_stops_the_start_with_its_reason()
    {
        var (exitCode, error) = await CollectorProcess.RunToExitAsync("--Beacon:DataDirectory=" + DataDirectory, "--Beacon:Ring:ShedP3At=2");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("Beacon cannot start: Shed thresholds are fractions of the capacity in (0, 1].", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_stops_the_start_with_one_line_naming_the_address()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var (exitCode, error) = await CollectorProcess.RunToExitAsync("--Beacon:DataDirectory=" + DataDirectory, "--urls=" + address);

        // The host logs the exception with its stack trace; standard error gets the reason, once.
        Assert.Equal(1, exitCode);
        Assert.Equal($"Beacon cannot start: Failed to bind to address {address}: address already in use.", error.TrimEnd());
    }

    [Fact]
    public async Task A_topic_whose_newest_segment_is_not_ours_stops_the_start_naming_the_file_and_leaves_it_as_it_is()
    {
        var topic = Path.Combine(DataDirectory, "beacon.p1");
        Directory.CreateDirectory(topic);
        var segment = Path.Combine(topic, "00000000000000000000.seg");
        byte[] laterVersion = [.. "BSEG"u8, 2, 0, 0, 0, 42];
        await File.WriteAllBytesAsync(segment, laterVersion);

        var (exitCode, error) = await CollectorProcess.RunToExitAsync("--Beacon:DataDirectory=" + DataDirectory);

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"Beacon cannot start: '{segment}' does not start with a version 1 segment header", error, StringComparison.Ordinal);
        Assert.Equal(laterVersion, await File.ReadAllBytesAsync(segment));
    }
}
