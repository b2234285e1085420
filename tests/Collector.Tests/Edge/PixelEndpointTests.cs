using System.Net;
using System.Text;
using Beacon.Collector.Buffering;
using Beacon.Collector.Edge;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Routing;

namespace Beacon.Collector.Tests.Edge;

public sealed class PixelEndpointTests
{
    private const string ValidId = "0123456789abcdef0123456789abcdef";
    private const string OtherId = "5f1c0e9a2b7d4c3e8a6f0b1d2c3e4f5a";

    [Theory]
    [InlineData("/b.gif?e=pv&a=shop")]
    [InlineData("/b/order.gif?e=order&oid=42")]
    public async Task A_pixel_gets_the_43_byte_gif_with_no_cache_headers(string target)
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await host.Client.GetAsync(target);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TransparentGif.Bytes.ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/gif", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(43, response.Content.Headers.ContentLength);
        Assert.Equal("no-cache, no-store, must-revalidate", response.Headers.NonValidated["Cache-Control"].ToString());
    }

    [Fact]
    public async Task A_head_pixel_gets_the_headers_without_a_body_and_is_still_recorded()
    {
        await using var host = await CollectorHost.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Head, "/b.gif?e=pv&n=head");
        using var response = await host.Client.SendAsync(request);
        await host.StopAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(43, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Single(host.ReadTopic("beacon.p1"));
    }

    [Fact]
    public void The_gif_is_the_standard_transparent_1x1_image()
    {
        var gif = TransparentGif.Bytes.Span;

        Assert.Equal(43, gif.Length);
        Assert.True(gif.StartsWith("GIF89a"u8));
        Assert.Equal(1, gif[6] | (gif[7] << 8));
        Assert.Equal(1, gif[8] | (gif[9] << 8));
        Assert.Equal((byte)';', gif[^1]);
    }

    [Fact]
    public async Task A_new_visitor_gets_a_cookie_and_the_record_carries_its_id()
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await host.Client.GetAsync("/b.gif?e=pv");
        await host.StopAsync();

        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Matches("^bid=[0-9a-f]{32}; Max-Age=31536000; Path=/; Secure; HttpOnly; SameSite=None$", setCookie);
        var id = setCookie[4..36];
        var record = Assert.Single(host.ReadTopic("beacon.p1"));
        Assert.Equal(id, record.GetProperty("visitor_id").GetString());
    }

    [Fact]
    public async Task A_returning_visitor_keeps_its_id_and_gets_no_new_cookie()
    {
        await using var host = await CollectorHost.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/b.gif?e=pv");
        request.Headers.Add("Cookie", $"other=1; bid={ValidId}; x=y");
        using var response = await host.Client.SendAsync(request);
        await host.StopAsync();

        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(ValidId, Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("visitor_id").GetString());
    }

    [Theory]
    [InlineData("not-an-id")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789abcdef-123456789abcdef")]
    public async Task A_malformed_visitor_cookie_is_replaced_not_trusted(string value)
    {
        await using var host = await CollectorHost.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/b.gif?e=pv");
        request.Headers.Add("Cookie", $"bid={value}");
        using var response = await host.Client.SendAsync(request);
        await host.StopAsync();

        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        var newId = setCookie[4..36];
        Assert.NotEqual(value, newId);
        Assert.Equal(newId, Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("visitor_id").GetString());
    }

    [Fact]
    public async Task Cookie_name_domain_lifetime_and_attributes_are_configurable()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Beacon:Cookie:Name"] = "vid",
            ["Beacon:Cookie:Domain"] = ".example.com",
            ["Beacon:Cookie:MaxAge"] = "30.00:00:00",
            ["Beacon:Cookie:Secure"] = "false",
            ["Beacon:Cookie:SameSite"] = "Lax",
        });

        using var response = await host.Client.GetAsync("/b.gif?e=pv");

        Assert.Matches("^vid=[0-9a-f]{32}; Max-Age=2592000; Path=/; Domain=.example.com; HttpOnly; SameSite=Lax$",
            Assert.Single(response.Headers.GetValues("Set-Cookie")));
    }

    [Theory]
    [InlineData("text/plain;charset=UTF-8")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task A_send_beacon_post_gets_204_and_lands_like_a_pixel(string contentType)
    {
        await using var host = await CollectorHost.StartAsync();

        using var content = new ByteArrayContent("e=click&a=shop&u=https%3A%2F%2Fex.com%2F&btn=buy"u8.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await host.Client.PostAsync("/b", content);
        await host.StopAsync();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var record = Assert.Single(host.ReadTopic("beacon.p1"));
        Assert.Equal("click", record.GetProperty("event").GetString());
        Assert.Equal("https://ex.com/", record.GetProperty("url").GetString());
        Assert.Equal("buy", record.GetProperty("props").GetProperty("btn").GetString());
        Assert.Equal("beacon_post", record.GetProperty("transport").GetString());
    }

    [Fact]
    public async Task A_beacon_post_merges_the_urls_parameters_with_its_body()
    {
        await using var host = await CollectorHost.StartAsync();

        using var content = new StringContent("e=click&btn=buy", Encoding.UTF8, "text/plain");
        using var response = await host.Client.PostAsync("/b?a=shop&p=web", content);
        await host.StopAsync();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var record = Assert.Single(host.ReadTopic("beacon.p1"));
        Assert.Equal("click", record.GetProperty("event").GetString());
        Assert.Equal("shop", record.GetProperty("app").GetString());
        Assert.Equal("web", record.GetProperty("platform").GetString());
    }

    [Fact]
    public async Task A_beacon_post_of_another_media_type_is_415_and_counted()
    {
        await using var host = await CollectorHost.StartAsync();

        using var content = new StringContent("{\"e\":\"pv\"}", Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/b", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("text/plain", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, host.Services.GetRequiredService<EdgeCounters>().Rejected(EdgeRejection.UnsupportedMediaType));
    }

    [Fact]
    public async Task A_beacon_post_over_the_body_limit_is_413_and_nothing_is_enqueued()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Edge:MaxBodyBytes"] = "1000" });

        using var content = new StringContent("e=pv&x=" + new string('a', 2000), Encoding.UTF8, "text/plain");
        using var response = await host.Client.PostAsync("/b", content);
        await host.StopAsync();

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("1000-byte limit", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, host.Services.GetRequiredService<EdgeCounters>().Rejected(EdgeRejection.BodyTooLarge));
        Assert.Equal(0, host.Services.GetRequiredService<BeaconRing>().Admitted);
    }

    [Fact]
    public async Task A_chunked_beacon_post_over_the_limit_is_413_too()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Edge:MaxBodyBytes"] = "1000" });

        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("e=pv&x=" + new string('a', 5000))));
        content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/b") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_query_over_the_configured_limit_is_414_with_a_reason()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Edge:MaxQueryBytes"] = "100" });

        using var ok = await host.Client.GetAsync("/b.gif?e=pv&x=" + new string('a', 90));
        using var tooLong = await host.Client.GetAsync("/b.gif?e=pv&x=" + new string('a', 100));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, tooLong.StatusCode);
        Assert.Contains("100-byte limit", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, host.Services.GetRequiredService<EdgeCounters>().Rejected(EdgeRejection.QueryTooLong));
    }

    [Fact]
    public async Task A_request_line_over_kestrels_limit_gets_kestrels_414_and_the_server_keeps_serving()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Edge:MaxQueryBytes"] = "100000" });

        using var huge = await host.Client.GetAsync("/b.gif?e=pv&x=" + new string('a', 20_000));
        using var after = await host.Client.GetAsync("/b.gif?e=pv");

        Assert.Equal(HttpStatusCode.RequestUriTooLong, huge.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Headers_over_kestrels_limit_get_431_and_the_server_keeps_serving()
    {
        await using var host = await CollectorHost.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/b.gif?e=pv");
        request.Headers.Add("X-Big", new string('h', 40_000));
        using var huge = await host.Client.SendAsync(request);
        using var after = await host.Client.GetAsync("/b.gif?e=pv");

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, huge.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory]
    [InlineData("e=pv&bad=%zz", "invalid_percent_encoding", "bad")]
    [InlineData("e=pv&bad=%FF", "invalid_utf8", "bad")]
    [InlineData("a=shop", "missing_event_type", null)]
    [InlineData("e=pv&t=yesterday", "invalid_client_time", "t")]
    public async Task A_pixel_with_garbage_still_gets_its_gif_and_lands_in_the_dlq_with_a_reason(string query, string reason, string? parameter)
    {
        await using var host = await CollectorHost.StartAsync();

        var (status, response) = await RawHttp.GetAsync(host.Address, "/b.gif?" + query);
        using var good = await host.Client.GetAsync("/b.gif?e=pv&n=good");
        await host.StopAsync();

        Assert.Equal(200, status);
        Assert.Contains("Content-Length: 43", response, StringComparison.Ordinal);
        Assert.Contains("GIF89a", response, StringComparison.Ordinal);
        var dead = Assert.Single(host.ReadTopic("beacon.dlq"));
        Assert.Equal(reason, dead.GetProperty("reason").GetString());
        Assert.Equal(query, dead.GetProperty("raw").GetString());
        if (parameter is not null)
        {
            Assert.Equal(parameter, dead.GetProperty("parameter").GetString());
        }

        Assert.Equal("good", Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("props").GetProperty("n").GetString());
    }

    [Fact]
    public async Task A_beacon_body_with_invalid_utf8_lands_in_the_dlq_as_base64_and_the_pipeline_keeps_going()
    {
        await using var host = await CollectorHost.StartAsync();
        byte[] body = [.. "e=pv&k"u8, 0xFF, .. "=1"u8];

        using var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
        using var bad = await host.Client.PostAsync("/b", content);
        using var good = await host.Client.GetAsync("/b.gif?e=pv");
        await host.StopAsync();

        Assert.Equal(HttpStatusCode.NoContent, bad.StatusCode);
        var dead = Assert.Single(host.ReadTopic("beacon.dlq"));
        Assert.Equal("invalid_utf8", dead.GetProperty("reason").GetString());
        Assert.Equal(body, dead.GetProperty("raw_base64").GetBytesFromBase64());
        Assert.Single(host.ReadTopic("beacon.p1"));
    }

    [Theory]
    [InlineData(true, "198.51.100.0")]
    [InlineData(false, "127.0.0.0")]
    public async Task X_forwarded_for_is_believed_only_from_a_trusted_proxy_and_the_address_is_anonymised(bool trusted, string clientIp)
    {
        await using var host = await CollectorHost.StartAsync(trusted
            ? new Dictionary<string, string?> { ["Beacon:Parser:TrustedProxies:0"] = "127.0.0.1" }
            : null);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/b.gif?e=pv");
        request.Headers.Add("X-Forwarded-For", "198.51.100.23");
        using var response = await host.Client.SendAsync(request);
        await host.StopAsync();

        Assert.Equal(clientIp, Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("client_ip").GetString());
    }

    [Theory]
    [InlineData("/b.gif?e=pv&anon=1", false)]
    [InlineData("/b.gif?e=pv", true)]
    public async Task Anonymous_mode_sets_no_cookie_and_keeps_no_visitor_id_or_address(string target, bool byHeader)
    {
        await using var host = await CollectorHost.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.Add("Cookie", $"bid={ValidId}");
        if (byHeader)
        {
            request.Headers.Add("X-Beacon-Anonymous", "1");
        }

        using var anonymous = await host.Client.SendAsync(request);
        using var fresh = await host.Client.GetAsync(target.Replace("&anon=1", "", StringComparison.Ordinal) + (byHeader ? "" : "&x=1"));
        await host.StopAsync();

        Assert.False(anonymous.Headers.Contains("Set-Cookie"));
        var records = host.ReadTopic("beacon.p1");
        Assert.Equal(2, records.Count);
        Assert.Single(records, static r => !r.TryGetProperty("visitor_id", out _) && !r.TryGetProperty("client_ip", out _));
    }

    [Fact]
    public async Task The_url_route_and_the_event_type_pick_the_topic()
    {
        await using var host = await CollectorHost.StartAsync();

        foreach (var target in new[] { "/b/order.gif?e=pv", "/b.gif?e=pay", "/b.gif?e=exp", "/b.gif?e=perf", "/b.gif?e=whatever", "/b/nosuch.gif?e=pv" })
        {
            using var response = await host.Client.GetAsync(target);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await host.StopAsync();

        Assert.Equal(["order", "order"], host.ReadTopic("beacon.p0").Select(static r => r.GetProperty("route").GetString()));
        Assert.Equal(["default", "pageview"], host.ReadTopic("beacon.p1").Select(static r => r.GetProperty("route").GetString()).Order());
        Assert.Equal("exposure", Assert.Single(host.ReadTopic("beacon.p2")).GetProperty("route").GetString());
        Assert.Equal("p3", Assert.Single(host.ReadTopic("beacon.p3")).GetProperty("priority").GetString());
    }

    [Fact]
    public async Task Ten_thousand_pixels_from_concurrent_clients_land_exactly_once_decoded()
    {
        const int total = 10_000;
        const int clients = 32;
        await using var host = await CollectorHost.StartAsync();
        var next = -1;

        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < total)
            {
                var e = n % 10 == 0 ? "order" : "pv";
                using var response = await host.Client.GetAsync($"/b.gif?e={e}&a=shop&u=https%3A%2F%2Fex.com%2Fp%2F{n}&t=1700000000000&n={n}&q=caf%C3%A9+au+lait");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }));
        await host.StopAsync();

        var records = host.ReadTopic("beacon.p0").Concat(host.ReadTopic("beacon.p1")).ToList();
        var numbers = records.Select(static r => int.Parse(r.GetProperty("props").GetProperty("n").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(total, numbers.Count);
        Assert.Equal(Enumerable.Range(0, total), numbers.Order());
        Assert.All(records, static r =>
        {
            var n = r.GetProperty("props").GetProperty("n").GetString();
            Assert.Equal($"https://ex.com/p/{n}", r.GetProperty("url").GetString());
            Assert.Equal("café au lait", r.GetProperty("props").GetProperty("q").GetString());
            Assert.Equal(1700000000000, r.GetProperty("client_time").GetInt64());
            Assert.Equal(int.Parse(n!, System.Globalization.CultureInfo.InvariantCulture) % 10 == 0 ? "p0" : "p1", r.GetProperty("priority").GetString());
        });
        Assert.Equal(total / 10, host.ReadTopic("beacon.p0").Count);
        var ring = host.Services.GetRequiredService<BeaconRing>();
        Assert.All(Enum.GetValues<Priority>(), p => Assert.Equal(0, ring.Shed(p)));
    }

    [Theory]
    [InlineData("GET", "/b.gif?e=pv&vid=" + OtherId)]
    [InlineData("POST", "e=pv&vid=" + OtherId)]
    public async Task Without_a_cookie_the_trackers_first_party_id_is_the_visitor_and_seeds_the_cookie(string method, string input)
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await SendAsync(host, method, input, cookie: null);
        await host.StopAsync();

        Assert.Equal(OtherId, Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("visitor_id").GetString());
        Assert.StartsWith($"bid={OtherId};", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_cookie_wins_over_the_first_party_id()
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await SendAsync(host, "GET", "/b.gif?e=pv&vid=" + OtherId, cookie: $"bid={ValidId}");
        await host.StopAsync();

        Assert.Equal(ValidId, Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("visitor_id").GetString());
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [InlineData("00000000000000000000000000000000")]
    [InlineData("5F1C0E9A2B7D4C3E8A6F0B1D2C3E4F5A")]
    [InlineData("5f1c0e9a2b7d4c3e8a6f0b1d2c3e4f5")]
    [InlineData("5f1c0e9a2b7d4c3e8a6f0b1d2c3e4f5a0")]
    [InlineData("5f1c0e9a-2b7d-4c3e-8a6f-0b1d2c3e4f5a")]
    [InlineData("zf1c0e9a2b7d4c3e8a6f0b1d2c3e4f5a")]
    public async Task An_invalid_first_party_id_is_ignored_and_the_visitor_gets_a_new_id(string vid)
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await SendAsync(host, "GET", "/b.gif?e=pv&vid=" + vid, cookie: null);
        await host.StopAsync();

        var id = Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("visitor_id").GetString();
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.NotEqual(vid, id);
        Assert.StartsWith($"bid={id};", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anonymous_request_ignores_the_first_party_id()
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await SendAsync(host, "GET", "/b.gif?e=pv&anon=1&vid=" + OtherId, cookie: null);
        await host.StopAsync();

        Assert.False(Assert.Single(host.ReadTopic("beacon.p1")).TryGetProperty("visitor_id", out _));
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [InlineData(100, HttpStatusCode.OK)]
    [InlineData(101, HttpStatusCode.RequestUriTooLong)]
    public async Task A_query_of_exactly_the_limit_is_accepted_and_one_byte_more_is_414(int length, HttpStatusCode expected)
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Edge:MaxQueryBytes"] = "100" });

        using var response = await host.Client.GetAsync("/b.gif?e=pv&x=" + new string('a', length - "e=pv&x=".Length));

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_beacon_post_of_exactly_the_body_limit_is_accepted(bool chunked)
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Edge:MaxBodyBytes"] = "1000" });

        var body = Encoding.UTF8.GetBytes("e=pv&x=" + new string('a', 1000 - "e=pv&x=".Length));
        using var content = new StreamContent(new MemoryStream(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
        if (!chunked)
        {
            content.Headers.ContentLength = body.Length;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/b") { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        using var response = await host.Client.SendAsync(request);
        await host.StopAsync();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Single(host.ReadTopic("beacon.p1"));
    }

    [Fact]
    public async Task Beacon_answers_and_refusals_are_not_cacheable()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Edge:MaxQueryBytes"] = "100" });

        using var accepted = await host.Client.PostAsync("/b", new StringContent("e=click", Encoding.UTF8, "text/plain"));
        using var wrongType = await host.Client.PostAsync("/b", new StringContent("{}", Encoding.UTF8, "application/json"));
        using var tooLong = await host.Client.GetAsync("/b.gif?e=pv&x=" + new string('a', 200));

        Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, tooLong.StatusCode);
        Assert.All(new[] { accepted, wrongType, tooLong },
            static r => Assert.Equal("no-cache, no-store, must-revalidate", r.Headers.NonValidated["Cache-Control"].ToString()));
    }

    [Fact]
    public async Task A_beacon_post_without_a_content_type_is_accepted_as_send_beacon_sends_an_array_buffer()
    {
        await using var host = await CollectorHost.StartAsync();

        using var content = new ByteArrayContent("e=click&a=shop"u8.ToArray());
        using var response = await host.Client.PostAsync("/b", content);
        await host.StopAsync();

        Assert.Null(content.Headers.ContentType);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("click", Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("event").GetString());
    }

    [Fact]
    public async Task Anon_1_in_a_beacon_posts_body_sets_no_cookie_and_keeps_no_visitor_id()
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await SendAsync(host, "POST", "e=click&anon=1", cookie: $"bid={ValidId}");
        await host.StopAsync();

        Assert.False(response.Headers.Contains("Set-Cookie"));
        var record = Assert.Single(host.ReadTopic("beacon.p1"));
        Assert.False(record.TryGetProperty("visitor_id", out _));
        Assert.False(record.TryGetProperty("client_ip", out _));
    }

    [Theory]
    [InlineData("ex=1&e=pay", "pay")]
    [InlineData("e1pv&e=pay", "pay")]
    [InlineData("e=&e=pay", "")]
    [InlineData("event=pv", "")]
    public void Peeking_a_parameter_matches_its_whole_name_only(string query, string expected)
    {
        Assert.Equal(expected, PixelEndpoint.PeekParameter(query, "e").ToString());
        Assert.Equal(expected, Encoding.UTF8.GetString(PixelEndpoint.PeekParameter(Encoding.UTF8.GetBytes(query), "e"u8)));
    }

    private static async Task<HttpResponseMessage> SendAsync(CollectorHost host, string method, string input, string? cookie)
    {
        using var request = method == "GET"
            ? new HttpRequestMessage(HttpMethod.Get, input)
            : new HttpRequestMessage(HttpMethod.Post, "/b") { Content = new StringContent(input, Encoding.UTF8, "text/plain") };
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return await host.Client.SendAsync(request);
    }
}
