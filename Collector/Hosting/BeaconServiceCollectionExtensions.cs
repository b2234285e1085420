using System.Diagnostics.Metrics;
using Beacon.Collector.Admin;
using Beacon.Collector.Batch;
using Beacon.Collector.Buffering;
using Beacon.Collector.Config;
using Beacon.Collector.Diagnostics;
using Beacon.Collector.Edge;
using Beacon.Collector.Pipeline;
using Beacon.Collector.Tracker;
using Beacon.Parser;
using Beacon.Parser.Decoding;
using Beacon.Router.Routing;
using Beacon.Router.Rules;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Beacon.Router.Sinks.Kafka;
using Beacon.Router.Spooling;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
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
        services.AddOptions<KafkaSinkOptions>().Bind(beacon.GetSection(KafkaSinkOptions.Section));
        services.AddOptions<SpoolOptions>().Bind(beacon.GetSection("Spool"));
        services.AddOptions<AdminOptions>().Bind(beacon.GetSection("Admin"));
        services.AddOptions<DrainOptions>().Bind(beacon.GetSection("Drain"));
        services.AddOptions<CorsOptions>().Bind(beacon.GetSection("Cors"));
        services.AddOptions<TrackerOptions>().Bind(beacon.GetSection("Tracker"));
        services.AddOptions<RulesOptions>().Bind(beacon.GetSection("Rules"));
        services.AddOptions<BatchOptions>().Bind(beacon.GetSection("Batch"));

        // Room for the drain delay, Kafka's flush (15 s by default) and the ring's drain.
        services.AddOptions<HostOptions>().Configure<IOptions<DrainOptions>>(static (host, drain) =>
            host.ShutdownTimeout = drain.Value.Delay + TimeSpan.FromSeconds(45));

        // Kestrel's socket transport (IOQueueCount, UnsafePreferInlineScheduling,
        // WaitForDataBeforeAllocatingBuffer …): tunable per deployment, A/B'd in docs/performance.md.
        // Kestrel runs requests inline only when the sockets complete inline too: alone it measured worse.
        services.Configure<SocketTransportOptions>(static transport => transport.UnsafePreferInlineScheduling = InlineScheduling.SocketsCompleteInline);
        services.Configure<SocketTransportOptions>(beacon.GetSection("Transport"));

        // Every pixel answer is tiny; don't spend bytes advertising the server.
        services.Configure<KestrelServerOptions>(static kestrel => kestrel.AddServerHeader = false);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(static sp => new RouteTable(Value<RouteTableOptions>(sp)));
        services.AddSingleton(static sp => new BeaconRing(Value<RingOptions>(sp)));
        services.AddSingleton(static sp => new VisitorCookie(Value<VisitorCookieOptions>(sp)));
        services.AddSingleton(static sp => new BeaconDecoder(Value<ParserOptions>(sp), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IRecordSink>(CreateSink);
        services.AddSingleton<KafkaSinkCounters>();
        services.AddSingleton<SpoolCounters>();
        services.AddSingleton<EdgeCounters>();
        services.AddSingleton<RouterCounters>();
        services.AddSingleton<PipelineCounters>();
        services.AddSingleton<RuleBook>();
        services.AddSingleton(static _ => new RecentEvents());
        services.AddSingleton(CreateRuleLog);
        services.AddSingleton(static sp => new HoldLanes(
            Path.Combine(Value<BeaconOptions>(sp).DataDirectory, "held"), Value<RulesOptions>(sp).Hold,
            sp.GetRequiredService<RuleBook>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<RuleAdministrator>();
        services.AddSingleton<AdminAuthenticator>();
        services.AddSingleton<RulesAdminApi>();
        services.AddSingleton<ConfigEndpoint>();
        services.AddSingleton<EventRouter>();
        services.AddSingleton<PixelEndpoint>();
        services.AddSingleton<BatchCounters>();
        services.AddSingleton<BatchEndpoint>();
        services.AddSingleton(static sp => new CorsPolicy(Value<CorsOptions>(sp)));
        services.AddSingleton<TrackerScript>();
        services.AddSingleton<BeaconMetrics>();
        services.AddSingleton<CollectorHealth>();
        services.AddSingleton(static sp => new PrometheusExporter(PrometheusExporter.DefaultMeters, sp.GetRequiredService<IMeterFactory>()));

        // Hosted services stop in reverse order: the public server, then the pipeline's drain, then
        // the admin listener, so a terminating replica's final counts can still be scraped.
        services.AddHostedService<DrainCoordinator>();
        services.AddHostedService<RuleLogService>();
        services.AddSingleton<AdminServer>();
        services.AddHostedService(static sp => sp.GetRequiredService<AdminServer>());
        services.AddHostedService<PipelineWorker>();
        return services;
    }

    /// <summary>Kafka when bootstrap servers are configured, with a spool under the data directory; else the embedded sink.</summary>
    private static IRecordSink CreateSink(IServiceProvider services)
    {
        var dataDirectory = Value<BeaconOptions>(services).DataDirectory;
        var time = services.GetRequiredService<TimeProvider>();
        var metrics = services.GetRequiredService<BeaconMetrics>();
        var kafka = Value<KafkaSinkOptions>(services);
        if (string.IsNullOrWhiteSpace(kafka.BootstrapServers))
        {
            return new SegmentFileSink(dataDirectory, Value<SegmentLogOptions>(services), time, metrics.Acknowledged);
        }

        var spoolOptions = Value<SpoolOptions>(services);
        var spool = new Spool(spoolOptions.Directory ?? Path.Combine(dataDirectory, "spool"), spoolOptions,
            services.GetRequiredService<SpoolCounters>(), time);
        var sink = new KafkaSink(kafka, spool, spoolOptions, services.GetRequiredService<KafkaSinkCounters>(),
            services.GetRequiredService<ILogger<KafkaSink>>(), time, metrics.Acknowledged);
        metrics.Observe(sink);
        return sink;
    }

    /// <summary>The config topic when Kafka is configured (every replica follows it), else a directory of version files.</summary>
    private static IRuleLog CreateRuleLog(IServiceProvider services)
    {
        var kafka = Value<KafkaSinkOptions>(services);
        if (!string.IsNullOrWhiteSpace(kafka.BootstrapServers))
        {
            return new KafkaRuleLog(kafka.BootstrapServers, services.GetRequiredService<RouteTable>().ConfigTopic, kafka.Properties,
                services.GetRequiredService<ILogger<KafkaRuleLog>>());
        }

        var rules = Value<RulesOptions>(services);
        return new FileRuleLog(rules.Directory ?? Path.Combine(Value<BeaconOptions>(services).DataDirectory, "config"), rules.PollInterval);
    }

    private static T Value<T>(IServiceProvider services) where T : class =>
        services.GetRequiredService<IOptions<T>>().Value;
}
