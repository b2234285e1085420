using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Beacon.Tracker.Tests.Pages;

/// <summary>
/// A second real Kestrel on loopback serving the test pages (this folder's *.html), so the pages
/// live on another origin than the collector and every tracker <c>fetch</c> is a CORS request.
/// <c>{{collector}}</c> in a page becomes the collector's address.
/// </summary>
internal sealed class PageServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PageServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>The origin browsers send, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Origin => Address.GetLeftPart(UriPartial.Authority);

    /// <summary>The collector's address, set once it is running (it needs this server's origin first).</summary>
    public Uri? Collector { get; set; }

    public static async Task<PageServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"],
        });
        var app = builder.Build();
        PageServer? server = null;
        var folder = Path.Combine(AppContext.BaseDirectory, "Pages");
        app.MapGet("/{page}.html", async (string page, HttpContext context) =>
        {
            var path = Path.Combine(folder, page + ".html");
            if (page.Contains('.', StringComparison.Ordinal) || !File.Exists(path))
            {
                return Results.NotFound();
            }

            var collector = server!.Collector!.GetLeftPart(UriPartial.Authority);
            var html = (await File.ReadAllTextAsync(path, context.RequestAborted)).Replace("{{collector}}", collector, StringComparison.Ordinal);
            return Results.Content(html, "text/html; charset=utf-8");
        });
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        server = new PageServer(app, address);
        return server;
    }

    public Uri Page(string name) => new(Address, name);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
