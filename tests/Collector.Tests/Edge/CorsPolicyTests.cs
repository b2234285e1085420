using System.Net;
using Beacon.Collector.Edge;
using Beacon.Collector.Tests.Hosting;

namespace Beacon.Collector.Tests.Edge;

public sealed class CorsPolicyTests
{
    private const string Shop = "https://shop.example.com";
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Beacon:Cors:AllowedOrigins:0"] = Shop,
        ["Beacon:Cors:AllowedOrigins:1"] = "https://*.example.org",
    };

    [Theory]
    [InlineData("/b")]
    [InlineData("/b/order")]
    [InlineData("/v1/config")]
    [InlineData("/v1/batch")]
    public async Task A_preflight_from_an_allowed_origin_is_answered_204_with_a_cacheable_grant(string path)
    {
        await using var host = await CollectorHost.StartAsync(Settings);

        using var response = await host.Client.SendAsync(Preflight(path, Shop));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Shop, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("GET, POST", Header(response, "Access-Control-Allow-Methods"));
        Assert.Contains("Content-Type", Header(response, "Access-Control-Allow-Headers"), StringComparison.Ordinal);
        Assert.Equal("7200", Header(response, "Access-Control-Max-Age"));
        Assert.Equal("Origin", Header(response, "Vary"));
    }

    [Fact]
    public async Task A_post_from_an_allowed_origin_gets_its_origin_echoed_with_credentials_and_exposed_headers()
    {
        await using var host = await CollectorHost.StartAsync(Settings);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/b") { Content = new StringContent("e=click&a=shop") };
        request.Headers.Add("Origin", Shop);
        using var response = await host.Client.SendAsync(request);
        await host.StopAsync();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Shop, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("X-Beacon-Config-Version, ETag", Header(response, "Access-Control-Expose-Headers"));
        Assert.Equal("Origin", Header(response, "Vary"));
        Assert.Single(host.ReadTopic("beacon.p1"));
    }

    [Theory]
    [InlineData("https://evil.example.com")]
    [InlineData("http://shop.example.com")] // another scheme is another origin
    [InlineData("https://shop.example.com.evil.net")]
    [InlineData("https://evil-example.org")]
    [InlineData("null")]
    public async Task An_unknown_origin_gets_no_cors_headers_but_the_event_is_still_recorded(string origin)
    {
        await using var host = await CollectorHost.StartAsync(Settings);

        using var preflight = await host.Client.SendAsync(Preflight("/b", origin));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/b") { Content = new StringContent("e=click&a=shop") };
        request.Headers.Add("Origin", origin);
        using var response = await host.Client.SendAsync(request);
        await host.StopAsync();

        foreach (var answer in new[] { preflight, response })
        {
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
            Assert.DoesNotContain(answer.Headers, static h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
            Assert.Equal("Origin", Header(answer, "Vary")); // a shared cache must not serve one origin's answer to another
        }

        Assert.Single(host.ReadTopic("beacon.p1")); // CORS guards reading the answer, not sending the event
    }

    [Fact]
    public async Task A_subdomain_of_a_wildcard_origin_is_allowed()
    {
        await using var host = await CollectorHost.StartAsync(Settings);

        using var response = await host.Client.SendAsync(Preflight("/v1/config", "https://m.example.org"));

        Assert.Equal("https://m.example.org", Header(response, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Pixels_and_the_script_are_left_alone()
    {
        await using var host = await CollectorHost.StartAsync(Settings);

        using var pixel = new HttpRequestMessage(HttpMethod.Get, "/b.gif?e=pv");
        pixel.Headers.Add("Origin", Shop);
        using var response = await host.Client.SendAsync(pixel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("shop.example.com")]
    [InlineData("https://shop.example.com/path")]
    public void A_configured_origin_that_is_not_an_origin_stops_the_collector(string origin)
    {
        var options = new CorsOptions();
        options.AllowedOrigins.Add(origin);

        var error = Assert.Throws<ArgumentException>(() => new CorsPolicy(options));

        Assert.Contains(origin, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://m.example.org", true)]
    [InlineData("https://a.b.example.org", true)]
    [InlineData("https://.example.org", false)]               // no subdomain at all
    [InlineData("https://evil.com/.example.org", false)]      // a path is no subdomain
    [InlineData("https://evil.com:1.example.org", false)]     // nor a port
    [InlineData("http://m.example.org", false)]
    public void A_wildcard_origin_matches_a_subdomain_and_nothing_else(string origin, bool allowed)
    {
        var options = new CorsOptions();
        options.AllowedOrigins.Add("https://*.example.org");

        Assert.Equal(allowed, new CorsPolicy(options).IsAllowed(origin));
    }

    [Fact]
    public async Task An_options_request_without_a_requested_method_is_not_a_preflight()
    {
        await using var host = await CollectorHost.StartAsync(Settings);

        using var request = new HttpRequestMessage(HttpMethod.Options, "/b");
        request.Headers.Add("Origin", Shop);
        using var response = await host.Client.SendAsync(request);

        Assert.NotEqual(HttpStatusCode.NoContent, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Methods"));
    }

    private static HttpRequestMessage Preflight(string path, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return request;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";
}
