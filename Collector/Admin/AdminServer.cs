using Beacon.Collector.Config;
using Beacon.Collector.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Admin;

/// <summary>
/// A second Kestrel server on its own port for <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c> and
/// <c>/sink-health</c>: scrapes and probes never share the public listener, and the public listener
/// never exposes them. Built empty (no configuration sources), so nothing of the public host leaks in.
/// </summary>
internal sealed partial class AdminServer(
    IOptions<AdminOptions> options,
    PrometheusExporter exporter,
    CollectorHealth health,
    RulesAdminApi rules,
    ILogger<AdminServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The addresses bound, once started (port 0 resolved).</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls(options.Value.Urls);
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.UseRouting();
        app.MapGet("/metrics", () => Results.Text(exporter.Scrape(), PrometheusExporter.ContentType));
        app.MapGet("/healthz", static () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => Results.Text(health.Describe() + "\n", statusCode: health.IsReady ? 200 : 503));
        app.MapGet("/sink-health", () => Results.Text(
            health.IsSinkReady ? "ok\n" : "down: the sink is failing and its spool is full\n",
            statusCode: health.IsSinkReady ? 200 : 503));
        rules.Map(app);
        await app.StartAsync(cancellationToken);
        _app = app;
        Addresses = [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];
        var addresses = string.Join(", ", Addresses);
        LogListening(logger, addresses);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Admin endpoints (metrics, health) on: {Addresses}")]
    private static partial void LogListening(ILogger logger, string addresses);
}
