using Beacon.Collector.Edge;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Hosting;

/// <summary>
/// The collector's host, shared by <c>Program</c> and the tests: the slim builder (smallest Kestrel),
/// HTTPS endpoints from configuration (<c>Kestrel:Endpoints:*:Certificate</c>, which the slim builder
/// leaves out), optional JSON console logs, and everything <see cref="BeaconServiceCollectionExtensions.AddBeaconCollector"/> registers.
/// </summary>
public static class BeaconHost
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelHttpsConfiguration();
        if (builder.Configuration["Logging:Console:FormatterName"] == "json")
        {
            builder.Logging.AddJsonConsole(); // the slim builder's console ignores the setting
        }

        builder.Services.AddBeaconCollector(builder.Configuration);
        configure?.Invoke(builder);
        var app = builder.Build();
        InlineScheduling.LogMode(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(InlineScheduling)),
            app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value);
        app.Use(app.Services.GetRequiredService<CorsPolicy>().HandleAsync);
        app.Use(app.Services.GetRequiredService<Config.ConfigEndpoint>().StampVersionAsync);
        app.MapBeacon();
        return app;
    }
}
