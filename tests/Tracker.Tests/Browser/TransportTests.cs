using static Beacon.Tracker.Tests.Browser.TrackerSession;

namespace Beacon.Tracker.Tests.Browser;

[Collection(SharedChromium.Name)]
public sealed class TransportTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task A_long_event_is_posted_with_credentials_instead_of_a_pixel()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.OpenAsync("item.html");
        var pv = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));
        var text = new string('x', 2500);

        var response = await session.Page.RunAndWaitForResponseAsync(
            () => session.Page.EvaluateAsync($"() => beacon('track', 'note', {{ text: '{text}', lang: 'ü€' }})"),
            static r => r.Request.Method == "POST");

        var note = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "note"));
        Assert.Equal("beacon_post", note.GetProperty("transport").GetString());
        Assert.Equal(text, Prop(note, "text"));
        Assert.Equal("ü€", Prop(note, "lang"));
        Assert.Equal(pv.GetProperty("visitor_id").GetString(), note.GetProperty("visitor_id").GetString());
        // A CORS fetch with credentials: the collector echoed the page's origin, so the page could read the 204.
        Assert.Equal(204, response.Status);
        Assert.Equal(session.Pages.Origin, await response.HeaderValueAsync("access-control-allow-origin"));
        Assert.Equal("true", await response.HeaderValueAsync("access-control-allow-credentials"));
        Assert.Equal("fetch", response.Request.ResourceType);
        Assert.DoesNotContain(session.Requests, static r => r.Method == "GET" && r.Url.Contains("e=note", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_post_is_retried_with_backoff()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await session.FreezeClockAsync();
        await session.OpenAsync("item.html");
        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));
        var collector = session.Collector.Address.GetLeftPart(UriPartial.Authority);
        var failures = 0;
        // The collector's answer on its worst day: the first two POSTs fail, the third gets through.
        await session.Page.RouteAsync(collector + "/b", async route =>
        {
            if (Interlocked.Increment(ref failures) <= 2)
            {
                await route.FulfillAsync(new() { Status = 503, Headers = new Dictionary<string, string>
                {
                    ["Access-Control-Allow-Origin"] = session.Pages.Origin, ["Access-Control-Allow-Credentials"] = "true",
                } });
            }
            else
            {
                await route.ContinueAsync();
            }
        });

        await session.Page.EvaluateAsync($"() => beacon('track', 'note', {{ text: '{new string('y', 2500)}' }})");
        // Backoff: 1–2 s, then 2–4 s. Move the page's clock half a second at a time until the event is in
        // (for up to ~20 s of real time: on a busy machine the 503s can come back after several steps).
        for (var step = 0; step < 400 && !session.Collector.ReadTopic("beacon.p1").Any(static r => IsEvent(r, "note")); step++)
        {
            await session.Page.Clock.RunForAsync(500);
            await Task.Delay(50);
        }

        var note = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "note"));
        Assert.Equal("beacon_post", note.GetProperty("transport").GetString());
        Assert.Equal(3, session.Requests.Count(static r => r.Method == "POST" && (r.PostData?.Contains("e=note", StringComparison.Ordinal) ?? false)));
        Assert.Single(session.Collector.ReadTopic("beacon.p1"), static r => IsEvent(r, "note"));
    }
}
