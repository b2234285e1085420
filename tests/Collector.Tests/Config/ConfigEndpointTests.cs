using System.Net;
using Beacon.Collector.Tests.Hosting;
using static Beacon.Collector.Tests.Config.RulesAdminApiTests;

namespace Beacon.Collector.Tests.Config;

/// <summary><c>/v1/config</c> on the public port and the version header every public answer carries.</summary>
public sealed class ConfigEndpointTests
{
    private const string Visitor = "0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task A_client_gets_its_rules_its_visitor_id_and_an_etag()
    {
        await using var host = await CollectorHost.StartAsync();
        (await Put(host, """
            {"rules":[{"id":"shop-exp","action":"sample","rate":0.25,"scope":{"app":["shop"],"event":["exp"]}},
                      {"id":"news-all","action":"drop","scope":{"app":["news"]}},
                      {"id":"old-js","action":"hold","scope":{"sdk":{"name":"js","max":"2.0"}}}]}
            """)).Dispose();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/config?app=shop&platform=web&sdk=js/2.1.0");
        request.Headers.Add("Cookie", "bid=" + Visitor);
        using var response = await host.Client.SendAsync(request);
        var body = await Json(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"1\"", response.Headers.ETag!.Tag);
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.CacheControl!.MaxAge);
        Assert.True(response.Headers.CacheControl.Private);
        Assert.Equal("1", response.Headers.GetValues("X-Beacon-Config-Version").Single());
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(1, body.GetProperty("version").GetInt64());
        Assert.Equal(30, body.GetProperty("max_age").GetInt32());
        Assert.Equal(Visitor, body.GetProperty("visitor_id").GetString());
        var rule = Assert.Single(body.GetProperty("rules").EnumerateArray());
        Assert.Equal("shop-exp", rule.GetProperty("id").GetString());
        Assert.Equal(0.25, rule.GetProperty("rate").GetDouble());
        Assert.Equal("exp", rule.GetProperty("scope").GetProperty("event")[0].GetString());
    }

    [Fact]
    public async Task A_matching_etag_gets_304_until_the_rules_change()
    {
        await using var host = await CollectorHost.StartAsync();

        using var unchanged = await Get(host, "/v1/config?app=shop", ifNoneMatch: "\"0\"");
        (await Put(host, """{"rules":[{"id":"a","action":"drop"}]}""")).Dispose();
        using var changed = await Get(host, "/v1/config?app=shop", ifNoneMatch: "\"0\"");

        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("\"1\"", changed.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task A_new_visitor_gets_a_cookie_and_its_id_and_an_anonymous_one_gets_neither()
    {
        await using var host = await CollectorHost.StartAsync();

        using var fresh = await Get(host, "/v1/config");
        var id = (await Json(fresh)).GetProperty("visitor_id").GetString();
        using var anonymousRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/config");
        anonymousRequest.Headers.Add("X-Beacon-Anonymous", "1");
        using var anonymous = await host.Client.SendAsync(anonymousRequest);

        Assert.StartsWith($"bid={id};", fresh.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await Json(anonymous)).GetProperty("visitor_id").ValueKind);
        Assert.False(anonymous.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Every_public_answer_carries_the_current_rules_version()
    {
        await using var host = await CollectorHost.StartAsync();

        using var before = await host.Client.GetAsync("/b.gif?e=pv");
        (await Put(host, """{"rules":[]}""")).Dispose();
        using var pixel = await host.Client.GetAsync("/b.gif?e=pv");
        using var beacon = await host.Client.PostAsync("/b", new StringContent("e=click"));
        using var tooLong = await host.Client.GetAsync("/b.gif?e=pv&x=" + new string('x', 5000));

        Assert.Equal("0", before.Headers.GetValues("X-Beacon-Config-Version").Single());
        Assert.All(new[] { pixel, beacon, tooLong }, r => Assert.Equal("1", r.Headers.GetValues("X-Beacon-Config-Version").Single()));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, tooLong.StatusCode);
    }

    [Fact]
    public async Task The_config_answer_varies_on_the_cookie_and_for_a_cors_caller_on_the_origin_too()
    {
        const string shop = "https://shop.example.com";
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Cors:AllowedOrigins:0"] = shop });

        using var plain = await Get(host, "/v1/config?app=shop");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/config?app=shop");
        request.Headers.Add("Origin", shop);
        using var cors = await host.Client.SendAsync(request);

        Assert.Contains("Cookie", plain.Headers.Vary);
        Assert.Equal(shop, cors.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Cookie", cors.Headers.Vary);
        Assert.Contains("Origin", cors.Headers.Vary); // else a cache may hand one origin's grant to another
    }

    [Fact]
    public async Task A_304_carries_no_body_and_mints_no_visitor()
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await Get(host, "/v1/config?app=shop", ifNoneMatch: "\"0\"");

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<HttpResponseMessage> Get(CollectorHost host, string path, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return await host.Client.SendAsync(request);
    }
}
