using static Beacon.Tracker.Tests.Browser.TrackerSession;

namespace Beacon.Tracker.Tests.Browser;

[Collection(SharedChromium.Name)]
public sealed class NavigationTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task An_spa_navigation_is_a_page_view_and_ends_the_previous_one()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.OpenAsync("spa.html");
        var first = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));

        await session.Page.ClickAsync("#cart");

        var cartUrl = session.Pages.Page("spa.html?view=cart").ToString();
        var cart = await session.WaitForRecordAsync("beacon.p1", r => IsEvent(r, "pv") && r.GetProperty("url").GetString() == cartUrl);
        Assert.Equal("spa", Field(cart, "navigation"));
        Assert.Equal(first.GetProperty("url").GetString(), cart.GetProperty("referrer").GetString());
        Assert.Equal("shop.spa.menu.1", Field(cart, "source_spm")); // credited to the click that navigated
        Assert.NotEqual(Field(first, "page_view_id"), Field(cart, "page_view_id"));
        var leave = await session.WaitForRecordAsync("beacon.p1", r => IsEvent(r, "leave") && Field(r, "page_view_id") == Field(first, "page_view_id"));
        Assert.True(leave.GetProperty("dwell_ms").GetInt64() >= 0);

        await session.Page.GoBackAsync();

        var back = await session.WaitForRecordsAsync("beacon.p1", r => IsEvent(r, "pv") && r.GetProperty("url").GetString() == first.GetProperty("url").GetString(), 2);
        Assert.Equal("back_forward", Field(back[^1], "navigation"));
    }

    [Fact]
    public async Task An_in_page_anchor_is_not_a_page_view()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.OpenAsync("spa.html");
        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));
        await session.Page.EvaluateAsync("() => { window.hashChanged = new Promise(r => addEventListener('hashchange', r, { once: true })); }");

        await session.Page.ClickAsync("#to-reviews");
        await session.Page.EvaluateAsync("() => window.hashChanged"); // popstate comes before hashchange: the tracker has seen it
        await session.Page.EvaluateAsync("() => beacon('track', 'marker')");

        // The tracker sends in order: had the anchor made a page view, it would have been requested before the marker.
        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "marker"));
        var sent = session.Requests.Select(static r => r.Url + "&" + (r.PostData ?? "")).ToList();
        var marker = sent.FindIndex(static u => u.Contains("e=marker", StringComparison.Ordinal));
        Assert.True(marker >= 0, string.Join("\n", sent));
        Assert.Single(sent.Take(marker), static u => u.Contains("e=pv", StringComparison.Ordinal));
        Assert.Single(session.Collector.ReadTopic("beacon.p1"), static r => IsEvent(r, "pv"));
    }

    [Fact]
    public async Task Sources_pass_through_two_pages_and_back_forward_keeps_the_list_pages_own_source()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.OpenAsync("home.html");

        await session.Page.ClickAsync("#to-list");
        await session.WaitForTrackerAsync();
        var listUrl = session.Pages.Page("list.html").ToString();
        var list = await session.WaitForRecordAsync("beacon.p1", r => IsEvent(r, "pv") && r.GetProperty("url").GetString() == listUrl);
        Assert.Equal("shop.home.nav.1", Field(list, "source_spm"));
        Assert.Equal(session.Pages.Page("home.html").ToString(), list.GetProperty("referrer").GetString());

        await session.Page.ClickAsync("#r2");
        await session.WaitForTrackerAsync();
        var detailUrl = session.Pages.Page("detail.html?sku=2").ToString();
        var detail = await session.WaitForRecordAsync("beacon.p1", r => IsEvent(r, "pv") && r.GetProperty("url").GetString() == detailUrl);
        Assert.Equal("shop.list.results.2", Field(detail, "source_spm"));
        Assert.Equal("shop.home.nav.1", Field(detail, "source_source_spm"));
        Assert.Equal(session.Pages.Page("home.html").ToString(), Field(detail, "referrer_referrer"));
        Assert.Equal("navigate", Field(detail, "navigation"));

        await session.Page.GoBackAsync();
        await session.WaitForTrackerAsync();

        var views = await session.WaitForRecordsAsync("beacon.p1", r => IsEvent(r, "pv") && r.GetProperty("url").GetString() == listUrl, 2);
        var back = views[^1];
        Assert.Equal("back_forward", Field(back, "navigation"));
        Assert.Equal("shop.home.nav.1", Field(back, "source_spm")); // not "shop.detail…": the detail page did not send the visitor here
        Assert.Equal(session.Pages.Page("home.html").ToString(), back.GetProperty("referrer").GetString());
    }
}
