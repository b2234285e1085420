using static Beacon.Tracker.Tests.Browser.TrackerSession;

namespace Beacon.Tracker.Tests.Browser;

[Collection(SharedChromium.Name)]
public sealed class ClickTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task A_declared_click_carries_its_name_spm_position_and_properties()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.OpenAsync("item.html");
        var pv = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));

        await session.Page.ClickAsync("#buy-label"); // a child of the declared element
        await session.Page.ClickAsync("#wish");
        await session.Page.ClickAsync("#plain");

        var clicks = await session.WaitForRecordsAsync("beacon.p1", static r => IsEvent(r, "click"), 2);
        var buy = Assert.Single(clicks, static c => Prop(c, "el") == "buy");
        Assert.Equal("shop.item.buybox.1", Field(buy, "spm")); // position numbered in the block
        Assert.Equal("42", Prop(buy, "sku"));
        Assert.Equal("129.90", Prop(buy, "listPrice"));
        Assert.Equal(Field(pv, "page_view_id"), Field(buy, "page_view_id"));
        var wish = Assert.Single(clicks, static c => Prop(c, "el") == "wish");
        Assert.Equal("shop.item.buybox.7", Field(wish, "spm")); // its own data-spm wins
        Assert.Equal(2, session.Requests.Count(static r => r.Url.Contains("e=click", StringComparison.Ordinal)));
    }
}
