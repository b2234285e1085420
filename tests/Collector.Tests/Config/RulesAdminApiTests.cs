using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Beacon.Collector.Admin;
using Beacon.Collector.Tests.Hosting;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Tests.Config;

/// <summary>The rules API on the real admin listener: auth, optimistic concurrency, history, rollback, dry run.</summary>
public sealed class RulesAdminApiTests
{
    private const string Alice = "alice-0f9c2a7d51e84b6c";
    private const string Viewer = "viewer-77d1e0c3a9b24f18";

    private static readonly Dictionary<string, string?> WithTokens = new()
    {
        ["Beacon:Admin:Tokens:alice"] = Alice,
        ["Beacon:Admin:ReadOnlyTokens:viewer"] = Viewer,
    };

    [Fact]
    public async Task Without_tokens_a_loopback_caller_may_read_and_change_the_rules()
    {
        await using var host = await CollectorHost.StartAsync();

        using var put = await Put(host, """{"rules":[{"id":"drop-perf","action":"drop","scope":{"route":["perf"]}}]}""", ifMatch: "\"0\"");
        var current = await Json(await host.Admin.GetAsync("/admin/rules"));

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("\"1\"", put.Headers.ETag!.Tag);
        Assert.Equal(1, current.GetProperty("version").GetInt64());
        Assert.Equal("loopback", current.GetProperty("change").GetProperty("author").GetString());
    }

    [Fact]
    public void Without_tokens_a_remote_caller_is_refused()
    {
        var authenticator = new AdminAuthenticator(Options.Create(new AdminOptions()));
        var remote = new DefaultHttpContext();
        remote.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        var local = new DefaultHttpContext();
        local.Connection.RemoteIpAddress = IPAddress.IPv6Loopback;

        Assert.Equal(StatusCodes.Status403Forbidden, authenticator.Check(remote, write: false).Status);
        Assert.True(authenticator.Check(local, write: true).Allowed);
    }

    [Theory]
    [InlineData(null, false, HttpStatusCode.Unauthorized)]
    [InlineData("Basic YWxpY2U6eA==", false, HttpStatusCode.Unauthorized)]
    [InlineData("Bearer ", false, HttpStatusCode.Unauthorized)]
    [InlineData("Bearer wrong", false, HttpStatusCode.Unauthorized)]
    [InlineData("Bearer alice-0f9c2a7d51e84b6", false, HttpStatusCode.Unauthorized)]   // a prefix of the real token
    [InlineData("Bearer alice-0f9c2a7d51e84b6cX", false, HttpStatusCode.Unauthorized)] // the real token and more
    [InlineData("Bearer " + Viewer, false, HttpStatusCode.OK)]
    [InlineData("Bearer " + Viewer, true, HttpStatusCode.Forbidden)]
    [InlineData("Bearer " + Alice, false, HttpStatusCode.OK)]
    [InlineData("Bearer " + Alice, true, HttpStatusCode.OK)]
    public async Task With_tokens_every_call_needs_the_right_bearer_token(string? authorization, bool write, HttpStatusCode expected)
    {
        await using var host = await CollectorHost.StartAsync(WithTokens);
        using var request = write
            ? new HttpRequestMessage(HttpMethod.Put, "/admin/rules") { Content = new StringContent("""{"rules":[]}""") }
            : new HttpRequestMessage(HttpMethod.Get, "/admin/rules");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await host.Admin.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Unauthorized)
        {
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        }

        if (expected != HttpStatusCode.OK)
        {
            Assert.False(string.IsNullOrEmpty((await Json(response)).GetProperty("error").GetString()));
        }
    }

    [Fact]
    public async Task The_audit_names_the_token_that_made_each_change()
    {
        await using var host = await CollectorHost.StartAsync(WithTokens);
        host.Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Alice);

        (await Put(host, """{"rules":[{"id":"a","action":"drop"}]}""")).Dispose();
        var history = await Json(await host.Admin.GetAsync("/admin/rules/history"));

        var latest = history.GetProperty("versions")[0];
        Assert.Equal(1, latest.GetProperty("version").GetInt64());
        Assert.Equal("alice", latest.GetProperty("change").GetProperty("author").GetString());
        Assert.Equal("a", latest.GetProperty("change").GetProperty("added")[0].GetString());
    }

    [Fact]
    public async Task A_stale_version_gets_412_and_an_invalid_set_gets_400_and_the_old_rules_stay()
    {
        await using var host = await CollectorHost.StartAsync();
        (await Put(host, """{"rules":[{"id":"a","action":"drop"}]}""", ifMatch: "\"0\"")).Dispose();

        using var stale = await Put(host, """{"rules":[]}""", ifMatch: "\"0\"");
        using var invalid = await Put(host, """{"rules":[{"id":"b","action":"sample","rate":2}]}""", ifMatch: "\"1\"");
        using var malformedIfMatch = await Put(host, """{"rules":[]}""", ifMatch: "\"latest\"");
        using var notJson = await Put(host, """{"rules":[""", ifMatch: "\"1\"");

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("\"1\"", stale.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("rate is required for sample", (await Json(invalid)).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, malformedIfMatch.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        var current = await Json(await host.Admin.GetAsync("/admin/rules"));
        Assert.Equal(1, current.GetProperty("version").GetInt64());
        Assert.Equal("a", current.GetProperty("rules")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_rollback_restores_an_earlier_version_as_a_new_one()
    {
        await using var host = await CollectorHost.StartAsync();
        (await Put(host, """{"rules":[{"id":"a","action":"drop"}]}""")).Dispose();
        (await Put(host, """{"rules":[{"id":"b","action":"hold"}]}""")).Dispose();

        using var rollback = await host.Admin.PostAsync("/admin/rules/rollback/1", null);
        using var missing = await host.Admin.PostAsync("/admin/rules/rollback/42", null);
        var version1 = await Json(await host.Admin.GetAsync("/admin/rules/1"));

        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        var restored = await Json(rollback);
        Assert.Equal(3, restored.GetProperty("version").GetInt64());
        Assert.Equal(1, restored.GetProperty("change").GetProperty("rolled_back_to").GetInt64());
        Assert.Equal(version1.GetProperty("rules").GetRawText(), restored.GetProperty("rules").GetRawText());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_dry_run_counts_what_each_rule_would_do_to_recent_events_and_changes_nothing()
    {
        await using var host = await CollectorHost.StartAsync();
        foreach (var pixel in new[] { "e=pv&a=shop", "e=pv&a=shop", "e=pv&a=news", "e=perf&a=shop", "e=order&a=shop" })
        {
            using var response = await host.Client.GetAsync("/b.gif?" + pixel);
        }

        const string proposal = """
            {"rules":[{"id":"drop-perf","action":"drop","scope":{"route":["perf"]}},{"id":"hold-shop-pv","action":"hold","scope":{"app":["shop"],"event":["pv"]}},{"id":"nothing","action":"drop","scope":{"app":["none"]}}]}
            """;
        JsonElement result;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            using var response = await host.Admin.PostAsync("/admin/rules/dry-run", new StringContent(proposal));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            result = await Json(response);
            Assert.True(DateTime.UtcNow < deadline, "the pipeline did not see the five events");
        }
        while (result.GetProperty("events").GetInt64() < 5);

        Assert.Equal(5, result.GetProperty("events").GetInt64());
        Assert.Equal(2, result.GetProperty("unmatched").GetInt64());
        var rules = result.GetProperty("rules");
        Assert.Equal(("drop-perf", 1L, 1L), (rules[0].GetProperty("id").GetString(), rules[0].GetProperty("matched").GetInt64(), rules[0].GetProperty("dropped").GetInt64()));
        Assert.Equal(("hold-shop-pv", 2L, 2L), (rules[1].GetProperty("id").GetString(), rules[1].GetProperty("matched").GetInt64(), rules[1].GetProperty("held").GetInt64()));
        Assert.Equal(0, rules[2].GetProperty("matched").GetInt64());
        Assert.Equal(0, (await Json(await host.Admin.GetAsync("/admin/rules"))).GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task The_rules_api_is_not_on_the_public_listener()
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await host.Client.GetAsync("/admin/rules");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("bearer " + Alice)]
    [InlineData("BEARER " + Alice)]
    [InlineData("Bearer   " + Alice + "  ")]
    public void The_bearer_scheme_is_case_insensitive_and_the_token_may_be_padded(string authorization)
    {
        var access = Authenticator(WithTokens).Check(Caller(authorization), write: true);

        Assert.True(access.Allowed);
        Assert.Equal("alice", access.Caller);
    }

    [Fact]
    public void A_secret_configured_under_two_names_is_the_first_ones()
    {
        var access = Authenticator(new() { ["Beacon:Admin:Tokens:alice"] = Alice, ["Beacon:Admin:ReadOnlyTokens:viewer"] = Alice })
            .Check(Caller("Bearer " + Alice), write: true);

        Assert.True(access.Allowed);
        Assert.Equal("alice", access.Caller);
    }

    [Fact]
    public async Task A_read_only_token_may_dry_run_but_not_roll_back()
    {
        await using var host = await CollectorHost.StartAsync(WithTokens);
        host.Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Alice);
        (await Put(host, """{"rules":[{"id":"a","action":"drop"}]}""")).Dispose();
        host.Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Viewer);

        using var dryRun = await host.Admin.PostAsync("/admin/rules/dry-run", new StringContent("""{"rules":[]}"""));
        using var rollback = await host.Admin.PostAsync("/admin/rules/rollback/0", null);

        Assert.Equal(HttpStatusCode.OK, dryRun.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, rollback.StatusCode);
        Assert.Equal(1, (await Json(await host.Admin.GetAsync("/admin/rules"))).GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task If_match_star_replaces_whatever_version_is_current()
    {
        await using var host = await CollectorHost.StartAsync();
        (await Put(host, """{"rules":[{"id":"a","action":"drop"}]}""")).Dispose();

        using var response = await Put(host, """{"rules":[]}""", ifMatch: "*");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Admin_answers_are_not_stored_and_a_missing_version_is_404()
    {
        await using var host = await CollectorHost.StartAsync();

        using var current = await host.Admin.GetAsync("/admin/rules");
        using var missing = await host.Admin.GetAsync("/admin/rules/42");

        Assert.True(current.Headers.CacheControl!.NoStore);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("42", (await Json(missing)).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static AdminAuthenticator Authenticator(Dictionary<string, string?> settings)
    {
        var options = new AdminOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Beacon:Admin").Bind(options);
        return new AdminAuthenticator(Options.Create(options));
    }

    private static DefaultHttpContext Caller(string authorization)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = authorization;
        return context;
    }

    [Fact]
    public async Task The_history_lists_every_version_newest_first()
    {
        await using var host = await CollectorHost.StartAsync();
        (await Put(host, """{"rules":[{"id":"a","action":"drop"}]}""")).Dispose();
        (await Put(host, """{"rules":[{"id":"b","action":"hold"}]}""")).Dispose();

        var history = await Json(await host.Admin.GetAsync("/admin/rules/history"));

        Assert.Equal(2, history.GetProperty("current").GetInt64());
        Assert.Equal([2L, 1L, 0L], history.GetProperty("versions").EnumerateArray().Select(static v => v.GetProperty("version").GetInt64()));
    }

    internal static async Task<HttpResponseMessage> Put(CollectorHost host, string json, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/rules") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await host.Admin.SendAsync(request);
    }

    internal static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        using (response)
        {
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
    }
}
