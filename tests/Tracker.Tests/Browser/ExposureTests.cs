using System.Text.Json;
using static Beacon.Tracker.Tests.Browser.TrackerSession;

namespace Beacon.Tracker.Tests.Browser;

[Collection(SharedChromium.Name)]
public sealed class ExposureTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task Elements_visible_for_a_second_are_sent_together_in_one_request()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.FreezeClockAsync();
        await session.OpenAsync("exposure.html");
        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));
        await session.WaitForIntersectionAsync("[data-beacon-exp='sku-12']", intersecting: true);

        await session.Page.Clock.RunForAsync(999);
        await session.Page.Clock.RunForAsync(10_000); // visible for a second, then the batch's quiet period (3 s)

        var exp = await session.WaitForRecordAsync("beacon.p2", static r => IsEvent(r, "exp"));
        Assert.Equal("exposure", exp.GetProperty("route").GetString());
        Assert.Equal("12", Prop(exp, "n"));
        var items = Items(exp);
        Assert.Equal(Enumerable.Range(1, 12).Select(static i => $"sku-{i}").Order(StringComparer.Ordinal),
            items.Select(static i => i.Id).Order(StringComparer.Ordinal));
        Assert.Contains(("sku-3", "shop.home.recs.3"), items);
        Assert.DoesNotContain(items, static i => i.Id == "sku-far"); // never on screen
        Assert.Single(session.Requests, IsExposure);

        // Counted once per page view: scrolling away and back does not count the tiles again.
        await session.Page.EvaluateAsync("() => window.scrollTo(0, 6000)");
        await session.WaitForIntersectionAsync("#far", intersecting: true);
        await session.Page.Clock.RunForAsync(1100);
        await session.Page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await session.WaitForIntersectionAsync("#far", intersecting: false);
        await session.Page.Clock.RunForAsync(10_000);

        var both = await session.WaitForRecordsAsync("beacon.p2", static r => IsEvent(r, "exp"), 2);
        Assert.Equal([("sku-far", "shop.home.footer.1")], Items(both[1]));
        Assert.Equal(2, session.Requests.Count(IsExposure));
    }

    [Fact]
    public async Task An_element_seen_for_less_than_a_second_is_not_an_exposure()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.FreezeClockAsync();
        await session.OpenAsync("exposure.html");
        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));
        await session.WaitForIntersectionAsync("[data-beacon-exp='sku-12']", intersecting: true);

        await session.Page.EvaluateAsync("() => window.scrollTo(0, 6000)"); // the tiles leave the screen at once
        await session.WaitForIntersectionAsync("#far", intersecting: true);
        await session.Page.Clock.RunForAsync(500); // #far: only half a second
        await session.Page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await session.WaitForIntersectionAsync("#far", intersecting: false);
        await session.Page.Clock.RunForAsync(10_000); // the tiles: a second and more, then the batch goes

        var exp = await session.WaitForRecordAsync("beacon.p2", static r => IsEvent(r, "exp"));
        Assert.Equal(12, Items(exp).Count);
        Assert.DoesNotContain(Items(exp), static i => i.Id == "sku-far");
        Assert.Single(session.Requests, IsExposure);
    }

    private static List<(string? Id, string? Spm)> Items(JsonElement record) =>
        [.. JsonDocument.Parse(Prop(record, "ex")!).RootElement.EnumerateArray().Select(static i => (i[0].GetString(), i[1].GetString()))];

    private static bool IsExposure(Microsoft.Playwright.IRequest request) =>
        request.Url.Contains("e=exp", StringComparison.Ordinal) || (request.PostData?.Contains("e=exp", StringComparison.Ordinal) ?? false);
}
