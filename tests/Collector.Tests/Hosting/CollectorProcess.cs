using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>The collector as a real process (the built Beacon.Collector.dll), on a free loopback port.</summary>
internal sealed partial class CollectorProcess : IDisposable
{
    private const int Sigterm = 15;
    private readonly Process _process;

    private CollectorProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int ExitCode => _process.ExitCode;

    public static async Task<CollectorProcess> StartAsync(params string[] settings)
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
        foreach (var setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the collector did not start");
        return new CollectorProcess(process, await ReadListeningAddressAsync(process));
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
