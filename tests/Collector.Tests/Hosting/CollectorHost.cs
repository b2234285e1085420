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

    private CollectorHost(WebApplication app, string dataDirectory, Uri address, Uri adminAddress)
    {
        _app = app;
        DataDirectory = dataDirectory;
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

    public Uri Address { get; }

    /// <summary>A client that sends only the cookies a test sets by hand.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<CollectorHost> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "beacon-tests", Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Beacon:DataDirectory"] = dataDirectory,
            ["Beacon:Admin:Urls"] = "http://127.0.0.1:0",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddBeaconCollector(builder.Configuration);
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapBeacon();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var admin = new Uri(app.Services.GetRequiredService<AdminServer>().Addresses[0]);
        return new CollectorHost(app, dataDirectory, new Uri(address), admin);
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
