using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>The collector as a real process (the built Beacon.Collector.dll), on a free loopback port.</summary>
internal sealed partial class CollectorProcess : IDisposable
{
    private const int Sigterm = 15;
    private readonly Process _process;

    private CollectorProcess(Process process, Uri address, Uri adminAddress, IReadOnlyList<string> startupOutput)
    {
        _process = process;
        Address = address;
        AdminAddress = adminAddress;
        StartupOutput = startupOutput;
    }

    /// <summary>What it wrote to standard output before it listened.</summary>
    public IReadOnlyList<string> StartupOutput { get; }

    public Uri Address { get; }

    /// <summary>The admin listener (metrics, probes).</summary>
    public Uri AdminAddress { get; }

    public int ExitCode => _process.ExitCode;

    /// <summary>The process id, for reading its threads from /proc.</summary>
    public int Id => _process.Id;

    public static Task<CollectorProcess> StartAsync(params string[] settings) =>
        StartAsync(new Dictionary<string, string?>(), settings);

    /// <summary>Starts it with <paramref name="environment"/> changed (a null value removes the variable).</summary>
    public static async Task<CollectorProcess> StartAsync(IReadOnlyDictionary<string, string?> environment, params string[] settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "Beacon.Collector.dll"),
                "--urls", "http://127.0.0.1:0",
                "--Beacon:Admin:Urls=http://127.0.0.1:0",
            },
        };
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        foreach (var setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the collector did not start");
        var output = new List<string>();
        var (address, admin) = await ReadAddressesAsync(process, output);
        return new CollectorProcess(process, address, admin, output);
    }

    /// <summary>What Kubernetes or systemd sends to stop it.</summary>
    public void Terminate()
    {
        if (Kill(_process.Id, Sigterm) != 0)
        {
            throw new InvalidOperationException("kill(SIGTERM) failed: " + Marshal.GetLastPInvokeError());
        }
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }

    /// <summary>Reads the admin listener's log line, then the public one's ("Now listening on").</summary>
    private static async Task<(Uri Public, Uri Admin)> ReadAddressesAsync(Process collector, List<string> output)
    {
        const string adminMarker = "Admin endpoints (metrics, health) on: ";
        const string publicMarker = "Now listening on: ";
        Uri? admin = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (await collector.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            output.Add(line);
            if (Find(line, adminMarker) is { } adminAddress)
            {
                admin = new Uri(adminAddress);
            }
            else if (Find(line, publicMarker) is { } publicAddress)
            {
                // Keep draining the output so the collector never blocks on a full pipe.
                _ = collector.StandardOutput.ReadToEndAsync(CancellationToken.None);
                _ = collector.StandardError.ReadToEndAsync(CancellationToken.None);
                return (new Uri(publicAddress), admin ?? throw new InvalidOperationException("no admin address logged"));
            }
        }

        throw new InvalidOperationException("the collector exited before it listened");
    }

    private static string? Find(string line, string marker)
    {
        var at = line.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : line[(at + marker.Length)..].Trim();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
