using static Beacon.Tracker.Tests.Browser.TrackerSession;

namespace Beacon.Tracker.Tests.Browser;

[Collection(SharedChromium.Name)]
public sealed class PageViewTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task A_page_view_arrives_with_decoded_fields()
    {
        await using var session = await TrackerSession.StartAsync(chromium);

        await session.OpenAsync("item.html");

        var pv = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));
        var vid = await session.VisitorIdAsync();
        Assert.Matches("^[0-9a-f]{32}$", vid);
        Assert.Equal("shop", pv.GetProperty("app").GetString());
        Assert.Equal("web", pv.GetProperty("platform").GetString());
        Assert.Equal("pageview", pv.GetProperty("route").GetString());
        Assert.Equal(session.Pages.Page("item.html").ToString(), pv.GetProperty("url").GetString());
        Assert.Equal("pixel", pv.GetProperty("transport").GetString());
        Assert.Equal(vid, pv.GetProperty("visitor_id").GetString()); // the first-party id seeded the visitor
        Assert.Matches("^[0-9a-f]{16}$", pv.GetProperty("session_id").GetString());
        Assert.Matches("^[0-9a-f]{24}$", pv.GetProperty("event_id").GetString());
        Assert.True(pv.TryGetProperty("sent_at", out _));
        Assert.True(pv.GetProperty("client_time").GetInt64() > 0);
        Assert.Equal("HeadlessChrome", pv.GetProperty("ua").GetProperty("browser").GetString()); // the User-Agent was parsed
        Assert.False(pv.TryGetProperty("referrer", out _)); // typed in: no r, and the pixel sends no Referer of its own
        Assert.Equal("js/1.0.0", pv.GetProperty("sdk").GetString());
        Assert.Equal("navigate", Field(pv, "navigation"));
        Assert.Equal("shop.item", Field(pv, "spm"));
        Assert.Matches("^[0-9a-f]{16}$", Field(pv, "page_view_id"));
    }

    [Fact]
    public async Task Commands_queued_before_the_script_loads_are_run_after_init()
    {
        await using var session = await TrackerSession.StartAsync(chromium);

        await session.OpenAsync("item.html");

        var early = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "early"));
        var pv = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));
        Assert.Equal("default", early.GetProperty("route").GetString());
        Assert.Equal("before-load", Prop(early, "when"));
        Assert.Equal(Field(pv, "page_view_id"), Field(early, "page_view_id"));
    }

    [Fact]
    public async Task A_returning_visitor_keeps_one_id_across_pages()
    {
        await using var session = await TrackerSession.StartAsync(chromium);

        await session.OpenAsync("home.html");
        await session.Page.ClickAsync("#to-list");
        await session.WaitForTrackerAsync();

        var views = await session.WaitForRecordsAsync("beacon.p1", static r => IsEvent(r, "pv"), 2);
        var vid = await session.VisitorIdAsync();
        Assert.All(views, v => Assert.Equal(vid, v.GetProperty("visitor_id").GetString()));
        Assert.Single(views.Select(static v => v.GetProperty("session_id").GetString()).Distinct());
    }
}
