using System.Collections.Concurrent;
using System.Diagnostics;
using Beacon.Collector.Tests.Hosting;

namespace Beacon.Collector.Tests.Diagnostics;

/// <summary>
/// What ASP.NET Core's hosting adds to every request as the collector ships: while its request log
/// (<c>Microsoft.AspNetCore.Hosting.Diagnostics</c>) is enabled at any level, hosting starts an
/// <see cref="Activity"/> and a log scope per request, ~10 % of a pixel's CPU (docs/performance.md).
/// </summary>
public sealed class HostingDiagnosticsTests
{
    [Fact]
    public async Task With_the_shipped_settings_a_pixel_runs_without_a_hosting_activity()
    {
        var probe = new ActivityProbe();
        await using var host = await CollectorHost.StartAsync(configureServices: services => services.AddSingleton<IStartupFilter>(probe));

        using var answered = await host.Client.GetAsync(new Uri("/b.gif?e=pv&a=shop", UriKind.Relative));

        Assert.True(answered.IsSuccessStatusCode);
        Assert.Equal([false], probe.HadActivity);
    }

    [Fact]
    public async Task Turning_the_request_log_on_brings_the_activity_back()
    {
        var probe = new ActivityProbe();
        await using var host = await CollectorHost.StartAsync(
            new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Warning" },
            services => services.AddSingleton<IStartupFilter>(probe));

        using var answered = await host.Client.GetAsync(new Uri("/b.gif?e=pv&a=shop", UriKind.Relative));

        Assert.True(answered.IsSuccessStatusCode);
        Assert.Equal([true], probe.HadActivity);
    }

    /// <summary>A first middleware that notes, per pixel request, whether hosting started an activity for it.</summary>
    private sealed class ActivityProbe : IStartupFilter
    {
        private readonly ConcurrentQueue<bool> _hadActivity = new();

        public IReadOnlyCollection<bool> HadActivity => _hadActivity;

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                if (context.Request.Path.StartsWithSegments("/b.gif"))
                {
                    _hadActivity.Enqueue(Activity.Current is not null);
                }

                return following(context);
            });
            next(app);
        };
    }
}
