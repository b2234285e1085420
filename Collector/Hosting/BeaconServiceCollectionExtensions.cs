using Beacon.Collector.Buffering;
using Beacon.Collector.Diagnostics;
using Beacon.Collector.Edge;
using Beacon.Collector.Pipeline;
using Beacon.Parser;
using Beacon.Parser.Decoding;
using Beacon.Router.Routing;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Hosting;

/// <summary>Registers the whole collector: edge, ring, parser, router, sink and the worker between them.</summary>
public static class BeaconServiceCollectionExtensions
{
    public static IServiceCollection AddBeaconCollector(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var beacon = configuration.GetSection(BeaconOptions.Section);
        services.AddOptions<BeaconOptions>().Bind(beacon);
        services.AddOptions<RingOptions>().Bind(beacon.GetSection("Ring"));
        services.AddOptions<EdgeOptions>().Bind(beacon.GetSection("Edge"));
        services.AddOptions<VisitorCookieOptions>().Bind(beacon.GetSection("Cookie"));
        services.AddOptions<ParserOptions>().Bind(beacon.GetSection("Parser"));
        services.AddOptions<RouteTableOptions>().Bind(beacon.GetSection("Routing"));
        services.AddOptions<SegmentLogOptions>().Bind(beacon.GetSection("Segments"));

        // Every pixel answer is tiny; don't spend bytes advertising the server.
        services.Configure<KestrelServerOptions>(static kestrel => kestrel.AddServerHeader = false);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(static sp => new RouteTable(Value<RouteTableOptions>(sp)));
        services.AddSingleton(static sp => new BeaconRing(Value<RingOptions>(sp)));
        services.AddSingleton(static sp => new VisitorCookie(Value<VisitorCookieOptions>(sp)));
        services.AddSingleton(static sp => new BeaconDecoder(Value<ParserOptions>(sp)));
        services.AddSingleton<IRecordSink>(static sp =>
            new SegmentFileSink(Value<BeaconOptions>(sp).DataDirectory, Value<SegmentLogOptions>(sp), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<EdgeCounters>();
        services.AddSingleton<RouterCounters>();
        services.AddSingleton<PipelineCounters>();
        services.AddSingleton<EventRouter>();
        services.AddSingleton<PixelEndpoint>();
        services.AddSingleton<BeaconMetrics>();
        services.AddHostedService<PipelineWorker>();
        return services;
    }

    private static T Value<T>(IServiceProvider services) where T : class =>
        services.GetRequiredService<IOptions<T>>().Value;
}
