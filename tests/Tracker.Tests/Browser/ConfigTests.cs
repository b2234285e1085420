using System.Net.Http.Headers;
using System.Text;
using Beacon.Router.Rules;
using static Beacon.Tracker.Tests.Browser.TrackerSession;

namespace Beacon.Tracker.Tests.Browser;

/// <summary>The tracker obeys the rules SREs push (real /v1/config, real admin API).</summary>
[Collection(SharedChromium.Name)]
public sealed class ConfigTests(ChromiumFixture chromium)
{
    private const string VisitorId = "5f1c0e9a2b7d4c3e8a6f0b1d2c3e4f5a";

    [Fact]
    public async Task Sampling_is_honoured_in_the_browser_with_the_servers_hash()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        // Two rules at 50 %: one this device is in, one it is out of, by the server's own sampler.
        var keptRule = FindRule(keeps: true);
        var skippedRule = FindRule(keeps: false);
        await PutRulesAsync(session, $$$"""
            {"rules":[
              {"id":"{{{keptRule}}}","action":"sample","rate":0.5,"scope":{"event":["kept"]}},
              {"id":"{{{skippedRule}}}","action":"sample","rate":0.5,"scope":{"event":["skipped"]}}]}
            """);
        await UseVisitorIdAsync(session);
        await session.OpenAsync("item.html");

        await session.Page.EvaluateAsync("() => { beacon('track', 'skipped'); beacon('track', 'kept'); beacon('track', 'unruled'); }");

        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "unruled"));
        var kept = await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "kept"));
        Assert.Equal(VisitorId, kept.GetProperty("visitor_id").GetString());
        Assert.Equal(0.5, kept.GetProperty("sample_rate").GetDouble());
        Assert.DoesNotContain(session.Requests, static r => r.Url.Contains("e=skipped", StringComparison.Ordinal)); // never sent at all
        Assert.Contains(session.Requests, static r => r.Url.Contains("/v1/config?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Held_events_wait_in_local_storage_and_are_sent_when_the_rule_is_lifted()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await PutRulesAsync(session, """{"rules":[{"id":"hold-notes","action":"hold","scope":{"event":["note"]}}]}""");
        await session.FreezeClockAsync();
        await UseVisitorIdAsync(session);
        await session.OpenAsync("hold.html"); // holds at most 3 events
        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));

        await session.Page.EvaluateAsync("() => { for (let i = 1; i <= 5; i++) beacon('track', 'note', { n: i }); }");

        var held = await session.Page.EvaluateAsync<int>("() => JSON.parse(localStorage.getItem('_bk_hold:shop')).length");
        Assert.Equal(3, held); // the cap keeps the newest
        Assert.DoesNotContain(session.Requests, static r => r.Url.Contains("e=note", StringComparison.Ordinal));

        await PutRulesAsync(session, """{"rules":[]}""");
        await session.RunClockAsync(31_000); // the held events' own look at the rules (max_age 30 s)

        var notes = await session.WaitForRecordsAsync("beacon.p1", static r => IsEvent(r, "note"), 3);
        Assert.Equal(["3", "4", "5"], notes.Select(static n => Prop(n, "n")).Order(StringComparer.Ordinal));
        Assert.Equal(0, await session.Page.EvaluateAsync<int>("() => JSON.parse(localStorage.getItem('_bk_hold:shop')).length"));
        await session.RunClockAsync(31_000);
        await session.Page.EvaluateAsync("() => beacon('track', 'after')");
        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "after"));
        Assert.Equal(3, session.Collector.ReadTopic("beacon.p1").Count(static r => IsEvent(r, "note"))); // released once
    }

    [Fact]
    public async Task Held_events_older_than_the_max_age_are_discarded_not_sent()
    {
        await using var session = await TrackerSession.StartAsync(chromium);
        await PutRulesAsync(session, """{"rules":[{"id":"hold-notes","action":"hold","scope":{"event":["old","new"]}}]}""");
        await session.FreezeClockAsync();
        await UseVisitorIdAsync(session);
        await session.OpenAsync("hold-age.html"); // holds for 60 s at most
        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "pv"));

        await session.Page.EvaluateAsync("() => beacon('track', 'old')");
        await session.RunClockAsync(31_000); // a look at the rules, answered: "old" is held again, still since t = 1 s
        await session.RunClockAsync(31_000); // the next one: "old" has waited 61 s in all and is dropped
        await session.Page.EvaluateAsync("() => beacon('track', 'new')");
        await PutRulesAsync(session, """{"rules":[]}""");
        await session.RunClockAsync(31_000); // the next look at the rules (revalidated, not from the HTTP cache) lifts the hold

        await session.WaitForRecordAsync("beacon.p1", static r => IsEvent(r, "new"));
        Assert.DoesNotContain(session.Requests, static r => (r.Url + r.PostData).Contains("e=old", StringComparison.Ordinal));
        Assert.Equal(0, await session.Page.EvaluateAsync<int>("() => JSON.parse(localStorage.getItem('_bk_hold:shop')).length"));
    }

    /// <summary>The page's first-party id is fixed before any script runs, so the test knows the device.</summary>
    private static async Task UseVisitorIdAsync(TrackerSession session) =>
        await session.Page.AddInitScriptAsync($"localStorage.setItem('_bk_v', '{VisitorId}')");

    private static string FindRule(bool keeps)
    {
        for (var i = 0; ; i++)
        {
            var id = $"sample-{i}";
            if (DeviceSampler.Keeps(Encoding.UTF8.GetBytes(id), Encoding.UTF8.GetBytes(VisitorId), 0.5) == keeps)
            {
                return id;
            }
        }
    }

    private static async Task PutRulesAsync(TrackerSession session, string body)
    {
        using var current = await session.Collector.Admin.GetAsync("/admin/rules");
        current.EnsureSuccessStatusCode();
        using var request = new HttpRequestMessage(HttpMethod.Put, "/admin/rules") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(current.Headers.ETag!.ToString()));
        using var response = await session.Collector.Admin.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
