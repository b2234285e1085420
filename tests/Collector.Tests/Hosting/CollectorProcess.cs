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
        var process = Process.Start(StartInfo(environment, settings)) ?? throw new InvalidOperationException("the collector did not start");
        var output = new List<string>();
        var (address, admin) = await ReadAddressesAsync(process, output);
        return new CollectorProcess(process, address, admin, output);
    }

    /// <summary>
    /// Starts it with SIGXFSZ ignored (ignored signals survive exec), so that a file-size limit set later
    /// with <see cref="LimitFileSizeAsync"/> makes writes past it fail with EFBIG instead of killing it: a
    /// full disk for this process alone.
    /// </summary>
    public static async Task<CollectorProcess> StartWithWritesThatCanFailAsync(IReadOnlyDictionary<string, string?> environment, params string[] settings)
    {
        var start = StartInfo(environment, settings);
        start.ArgumentList.Insert(0, start.FileName);
        start.ArgumentList.Insert(0, "trap '' XFSZ; exec \"$0\" \"$@\"");
        start.ArgumentList.Insert(0, "-c");
        start.FileName = "bash";
        var process = Process.Start(start) ?? throw new InvalidOperationException("the collector did not start");
        var output = new List<string>();
        var (address, admin) = await ReadAddressesAsync(process, output);
        return new CollectorProcess(process, address, admin, output);
    }

    /// <summary>Sets its largest file size (the soft RLIMIT_FSIZE, which needs no privilege to raise again) in bytes, or lifts it (null), with util-linux's prlimit.</summary>
    public async Task LimitFileSizeAsync(long? bytes)
    {
        var limit = bytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited";
        using var prlimit = Process.Start(new ProcessStartInfo("prlimit", ["--pid", Id.ToString(System.Globalization.CultureInfo.InvariantCulture), $"--fsize={limit}:unlimited"]))
            ?? throw new InvalidOperationException("prlimit did not start");
        await prlimit.WaitForExitAsync();
        if (prlimit.ExitCode != 0)
        {
            throw new InvalidOperationException($"prlimit exited with {prlimit.ExitCode}");
        }
    }

    /// <summary>Runs it until it exits by itself, as when it cannot start: its exit status and what it wrote to standard error.</summary>
    public static async Task<(int ExitCode, string StandardError)> RunToExitAsync(params string[] settings)
    {
        using var process = Process.Start(StartInfo(new Dictionary<string, string?>(), settings)) ?? throw new InvalidOperationException("the collector did not start");
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }

        return (process.ExitCode, await error);
    }

    private static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?> environment, string[] settings)
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

        return start;
    }

    /// <summary>What Kubernetes or systemd sends to stop it.</summary>
    public void Terminate()
    {
        if (Kill(_process.Id, Sigterm) != 0)
        {
            throw new InvalidOperationException("kill(SIGTERM) failed: " + Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>A crash: SIGKILL, so no shutdown code runs.</summary>
    public void Crash() => _process.Kill();

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
