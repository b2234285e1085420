using Beacon.Collector.Admin;
using Beacon.Collector.Config;
using Beacon.Collector.Batch;
using Beacon.Collector.Diagnostics;
using Beacon.Collector.Edge;
using Beacon.Collector.Tracker;

namespace Beacon.Collector.Hosting;

/// <summary>Maps the collector's public endpoints.</summary>
public static class BeaconEndpointRouteBuilderExtensions
{
    private static readonly string[] PixelMethods = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapBeacon(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var pixel = services.GetRequiredService<PixelEndpoint>();
        endpoints.MapMethods("/b.gif", PixelMethods, pixel.HandlePixelAsync);
        endpoints.MapMethods("/b/{route}.gif", PixelMethods, pixel.HandlePixelAsync);
        endpoints.MapPost("/b", (RequestDelegate)pixel.HandleBeaconPostAsync);
        endpoints.MapPost("/b/{route}", (RequestDelegate)pixel.HandleBeaconPostAsync);
        endpoints.MapMethods("/beacon.js", PixelMethods, services.GetRequiredService<TrackerScript>().HandleAsync);
        endpoints.MapGet("/v1/config", services.GetRequiredService<ConfigEndpoint>().HandleAsync);
        endpoints.MapPost("/v1/batch", (RequestDelegate)services.GetRequiredService<BatchEndpoint>().HandleAsync);
        // Load balancers often probe the public port; the admin port has the same probes and /metrics.
        var health = services.GetRequiredService<CollectorHealth>();
        endpoints.MapGet("/healthz", static () => "ok");
        endpoints.MapGet("/readyz", () => Results.Text(health.Describe() + "\n", statusCode: health.IsReady ? 200 : 503));

        // Instruments are observable: creating them once is all it takes to publish.
        services.GetRequiredService<BeaconMetrics>().Observe(health);
        return endpoints;
    }
}
