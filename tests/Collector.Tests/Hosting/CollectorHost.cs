using System.Text.Json;
using Beacon.Collector.Admin;
using Beacon.Collector.Hosting;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>The real collector on Kestrel, on a free loopback port, with its own data directory.</summary>
internal sealed class CollectorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private CollectorHost(WebApplication app, string dataDirectory, IReadOnlyList<Uri> addresses, Uri adminAddress)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Addresses = addresses;
        var address = addresses.FirstOrDefault(static a => a.Scheme == Uri.UriSchemeHttp) ?? addresses[0];
        Address = address;
        AdminAddress = adminAddress;
        Client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = address };
        Admin = new HttpClient { BaseAddress = adminAddress };
    }

    /// <summary>The admin listener (metrics, probes).</summary>
    public Uri AdminAddress { get; }

    public HttpClient Admin { get; }

    /// <summary>Asks the host to stop, as SIGTERM does, without waiting for it.</summary>
    public void RequestStop() => _app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

    public string DataDirectory { get; }

    /// <summary>The public listener's plain-HTTP address (the first one when there is no plain HTTP).</summary>
    public Uri Address { get; }

    /// <summary>Every public address, e.g. HTTP and HTTPS.</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    /// <summary>A client that sends only the cookies a test sets by hand.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<CollectorHost> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "beacon-tests", Guid.NewGuid().ToString("N"));
        var all = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Beacon:DataDirectory"] = dataDirectory,
            ["Beacon:Admin:Urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        // The same host Program builds, with the test's settings as command-line arguments.
        var app = BeaconHost.Build([.. all.Select(static s => $"--{s.Key}={s.Value}")], builder => configureServices?.Invoke(builder.Services));
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var admin = new Uri(app.Services.GetRequiredService<AdminServer>().Addresses[0]);
        return new CollectorHost(app, dataDirectory, addresses.Select(static a => new Uri(a)).ToList(), admin);
    }

    /// <summary>Graceful stop, as on SIGTERM: the server drains, then the pipeline drains and flushes.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    /// <summary>Every record of a topic in the embedded sink, parsed.</summary>
    public IReadOnlyList<JsonElement> ReadTopic(string topic)
    {
        var records = new List<JsonElement>();
        using var cursor = new SegmentCursor(SegmentFileSink.TopicDirectory(DataDirectory, topic));
        while (cursor.TryRead(out var record))
        {
            records.Add(JsonDocument.Parse(record.Value).RootElement.Clone());
        }

        return records;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Admin.Dispose();
        await StopAsync();
        await _app.DisposeAsync();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
