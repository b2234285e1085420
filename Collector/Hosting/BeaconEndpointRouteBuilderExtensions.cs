using Beacon.Collector.Diagnostics;
using Beacon.Collector.Edge;
using Beacon.Router.Sinks;

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
        var sink = services.GetRequiredService<IRecordSink>();
        endpoints.MapGet("/healthz", static () => "ok");
        endpoints.MapGet("/readyz", () => sink.IsReady
            ? Results.Text("ready\n")
            : Results.Text("not ready: the sink is down and its spool is full\n", statusCode: StatusCodes.Status503ServiceUnavailable));

        // Instruments are observable: creating them once is all it takes to publish.
        services.GetRequiredService<BeaconMetrics>();
        return endpoints;
    }
}
