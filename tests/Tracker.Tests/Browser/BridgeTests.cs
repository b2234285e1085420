using System.Text.Json;

namespace Beacon.Tracker.Tests.Browser;

[Collection(SharedChromium.Name)]
public sealed class BridgeTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task In_a_hybrid_app_events_go_to_the_native_bridge_and_not_to_the_network()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.OpenAsync("bridge.html");

        await session.Page.ClickAsync("#buy");
        await session.Page.WaitForFunctionAsync("() => window.bridged.length >= 2");

        var messages = JsonDocument.Parse(await session.Page.EvaluateAsync<string>("() => JSON.stringify(window.bridged)")).RootElement;
        var pv = messages[0];
        Assert.Equal("pv", pv.GetProperty("e").GetString());
        Assert.Equal("shop", pv.GetProperty("a").GetString());
        Assert.Equal("web", pv.GetProperty("p").GetString());
        Assert.Equal(session.Pages.Page("bridge.html").ToString(), pv.GetProperty("u").GetString());
        Assert.Equal("js/1.0.0", pv.GetProperty("sdk").GetString());
        var click = messages[1];
        Assert.Equal("click", click.GetProperty("e").GetString());
        Assert.Equal("shop.app.main.1", click.GetProperty("spm").GetString());
        Assert.Equal(pv.GetProperty("pvid").GetString(), click.GetProperty("pvid").GetString());
        Assert.Empty(session.Requests); // not even /v1/config: the app's SDK owns rules and upload
    }
}
