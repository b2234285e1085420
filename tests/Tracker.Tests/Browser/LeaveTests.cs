using static Beacon.Tracker.Tests.Browser.TrackerSession;

namespace Beacon.Tracker.Tests.Browser;

[Collection(SharedChromium.Name)]
public sealed class LeaveTests(ChromiumFixture chromium)
{
    // Chromium does not report an unloading page's beacons to Playwright, so the page notes its calls itself.
    private const string NoteBeacons = """
        () => {
            const send = navigator.sendBeacon.bind(navigator);
            navigator.sendBeacon = (url, data) => {
                sessionStorage.setItem('beacons', JSON.stringify([...JSON.parse(sessionStorage.getItem('beacons') || '[]'), url + ' ' + data]));
                return send(url, data);
            };
        }
        """;

    [Fact]
    public async Task Leaving_a_page_sends_its_dwell_time_with_send_beacon()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.FreezeClockAsync();
        await session.OpenAsync("item.html");
        var pv = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));
        await session.Page.EvaluateAsync(NoteBeacons);

        await session.Page.Clock.RunForAsync(5000);
        await session.Page.ClickAsync("#away");
        await session.WaitForTrackerAsync();

        var leave = await session.WaitForRecordAsync("beacon.p1", r => IsEvent(r, "leave") && Field(r, "page_view_id") == Field(pv, "page_view_id"));
        Assert.Equal(5000, leave.GetProperty("dwell_ms").GetInt64()); // the page's clock moved exactly 5 s while it was visible
        Assert.Equal("beacon_post", leave.GetProperty("transport").GetString());
        Assert.Equal(pv.GetProperty("url").GetString(), leave.GetProperty("url").GetString());
        Assert.Equal(pv.GetProperty("visitor_id").GetString(), leave.GetProperty("visitor_id").GetString());
        var beacons = await session.Page.EvaluateAsync<string[]>("() => JSON.parse(sessionStorage.getItem('beacons'))");
        var beacon = Assert.Single(beacons);
        Assert.StartsWith(session.Collector.Address.GetLeftPart(UriPartial.Authority) + "/b e=leave&", beacon, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Time_in_a_hidden_tab_is_not_dwell_time()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.FreezeClockAsync();
        await session.OpenAsync("item.html");
        var pv = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));

        await session.Page.Clock.RunForAsync(2000);
        await SetVisibilityAsync(session, "hidden");
        await session.Page.Clock.RunForAsync(60_000);
        await SetVisibilityAsync(session, "visible");
        await session.Page.Clock.RunForAsync(3000);
        await SetVisibilityAsync(session, "hidden");

        var leaves = await session.WaitForRecordsAsync("beacon.p1", r => IsEvent(r, "leave") && Field(r, "page_view_id") == Field(pv, "page_view_id"), 2);
        Assert.Equal([2000L, 5000L], leaves.Select(static l => l.GetProperty("dwell_ms").GetInt64()));
    }

    /// <summary>What the browser does when the tab is switched away from and back (headless Chromium never hides a tab).</summary>
    private static async Task SetVisibilityAsync(TrackerSession session, string state) =>
        await session.Page.EvaluateAsync(
            "state => { Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });"
            + " document.dispatchEvent(new Event('visibilitychange')); }",
            state);
}
