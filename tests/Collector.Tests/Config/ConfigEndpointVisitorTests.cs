using System.Text.Json;
using Beacon.Collector.Tests.Hosting;

namespace Beacon.Collector.Tests.Config;

/// <summary>/v1/config and the tracker's first-party id: the config fetch is often a visitor's first request.</summary>
public sealed class ConfigEndpointVisitorTests
{
    private const string TrackerId = "5f1c0e9a2b7d4c3e8a6f0b1d2c3e4f5a";
    private const string CookieId = "0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task A_new_visitors_config_answer_carries_the_trackers_id_and_a_cookie_with_it()
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await host.Client.GetAsync($"/v1/config?app=shop&platform=web&sdk=js/1.0.0&vid={TrackerId}");

        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(TrackerId, body.RootElement.GetProperty("visitor_id").GetString());
        Assert.StartsWith($"bid={TrackerId};", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_visitor_with_a_cookie_keeps_the_cookies_id()
    {
        await using var host = await CollectorHost.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/config?app=shop&vid={TrackerId}");
        request.Headers.Add("Cookie", $"bid={CookieId}");
        using var response = await host.Client.SendAsync(request);

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(CookieId, body.RootElement.GetProperty("visitor_id").GetString());
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }
}
