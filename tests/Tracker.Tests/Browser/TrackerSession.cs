using System.Collections.Concurrent;
using System.Text.Json;
using Beacon.Collector.Tests.Hosting;
using Beacon.Tracker.Tests.Pages;
using Microsoft.Playwright;

namespace Beacon.Tracker.Tests.Browser;

/// <summary>
/// What one browser test runs against: the real collector (allowing the pages' origin), the page
/// server, and a fresh browser context with one page whose requests to the collector are logged.
/// </summary>
internal sealed class TrackerSession : IAsyncDisposable
{
    private static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(20);
    private readonly ConcurrentQueue<IRequest> _requests = new();
    private int _configLookups; // GET /v1/config requests the page has made and not yet seen answered

    private TrackerSession(PageServer pages, CollectorHost collector, IBrowserContext context, IPage page)
    {
        Pages = pages;
        Collector = collector;
        Context = context;
        Page = page;
        var prefix = collector.Address.GetLeftPart(UriPartial.Authority);
        context.Request += (_, request) =>
        {
            if (request.Url.StartsWith(prefix, StringComparison.Ordinal) && !request.Url.EndsWith("/beacon.js", StringComparison.Ordinal))
            {
                _requests.Enqueue(request);
                if (IsConfigLookup(request))
                {
                    Interlocked.Increment(ref _configLookups);
                }
            }
        };
        context.RequestFinished += (_, request) => Answered(request);
        context.RequestFailed += (_, request) => Answered(request);

        void Answered(IRequest request)
        {
            if (request.Url.StartsWith(prefix, StringComparison.Ordinal) && IsConfigLookup(request))
            {
                Interlocked.Decrement(ref _configLookups);
            }
        }
    }

    public PageServer Pages { get; }

    public CollectorHost Collector { get; }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>Every request the pages made to the collector, except for the script itself.</summary>
    public IReadOnlyList<IRequest> Requests => [.. _requests];

    public static async Task<TrackerSession> StartAsync(ChromiumFixture chromium, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var pages = await PageServer.StartAsync();
        var all = new Dictionary<string, string?> { ["Beacon:Cors:AllowedOrigins:0"] = pages.Origin };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var collector = await CollectorHost.StartAsync(all);
        pages.Collector = collector.Address;
        var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        return new TrackerSession(pages, collector, context, page);
    }

    /// <summary>Opens a test page and waits until the tracker has run its command queue.</summary>
    public async Task OpenAsync(string name)
    {
        await Page.GotoAsync(Pages.Page(name).ToString());
        await WaitForTrackerAsync();
    }

    public Task WaitForTrackerAsync() => Page.WaitForFunctionAsync("() => window.beacon && window.beacon.version");

    /// <summary>
    /// Fake timers and Date, paused: the page's time moves only by <c>Page.Clock.RunForAsync</c>, so
    /// "visible for a second" and dwell times are exact, whatever the machine's speed.
    /// </summary>
    public async Task FreezeClockAsync()
    {
        var start = new DateTime(2026, 11, 21, 10, 0, 0, DateTimeKind.Utc);
        await Page.Clock.InstallAsync(new() { TimeDate = start });
        await Page.Clock.PauseAtAsync(start.AddSeconds(1));
    }

    /// <summary>
    /// Moves the paused clock on, then waits (bounded) until every rule look-up that set off has been
    /// answered and the page has had a moment to act on it. Without the wait, an answer that lands after
    /// the clock stopped arms its next timer on a clock that no longer moves, and whether a test sees a
    /// lifted hold would depend on the machine's speed.
    /// </summary>
    public async Task RunClockAsync(long milliseconds)
    {
        await Page.Clock.RunForAsync(milliseconds);
        using var timeout = new CancellationTokenSource(RecordTimeout);
        for (var quiet = 0; quiet < 3; quiet = Volatile.Read(ref _configLookups) == 0 ? quiet + 1 : 0)
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"a /v1/config look-up was still unanswered after {RecordTimeout.TotalSeconds} s");
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }

    /// <summary>
    /// Resolves once the element is reported intersecting (or not) by an IntersectionObserver made now.
    /// The browser notifies observers in creation order, so the tracker's own has seen the change too.
    /// </summary>
    public Task WaitForIntersectionAsync(string selector, bool intersecting) =>
        Page.EvaluateAsync(
            "([selector, wanted]) => new Promise(done => new IntersectionObserver((entries, o) => {"
            + " if (entries[0].isIntersecting === wanted) { o.disconnect(); done(); } }).observe(document.querySelector(selector)))",
            new object[] { selector, intersecting });

    /// <summary>The page's first-party visitor id (what the tracker sends as vid=).</summary>
    public Task<string> VisitorIdAsync() => Page.EvaluateAsync<string>("() => localStorage.getItem('_bk_v')");

    /// <summary>Waits (bounded) until the topic holds a record that matches, and returns it.</summary>
    public async Task<JsonElement> WaitForRecordAsync(string topic, Func<JsonElement, bool> match)
    {
        var records = await WaitForRecordsAsync(topic, match, 1);
        return records[0];
    }

    /// <summary>Waits (bounded) until the topic holds at least <paramref name="count"/> matching records.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForRecordsAsync(string topic, Func<JsonElement, bool> match, int count)
    {
        using var timeout = new CancellationTokenSource(RecordTimeout);
        while (true)
        {
            var found = Collector.ReadTopic(topic).Where(match).ToList();
            if (found.Count >= count)
            {
                return found;
            }

            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"{topic} holds {found.Count} of the {count} expected records after {RecordTimeout.TotalSeconds} s: "
                    + string.Join("\n", Collector.ReadTopic(topic).Select(static r => r.GetRawText())));
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>A record's custom property, or null.</summary>
    public static string? Prop(JsonElement record, string name) =>
        record.TryGetProperty("props", out var props) && props.TryGetProperty(name, out var value) ? value.GetString() : null;

    /// <summary>A record's top-level string field, or null.</summary>
    public static string? Field(JsonElement record, string name) =>
        record.TryGetProperty(name, out var value) ? value.GetString() : null;

    public static bool IsEvent(JsonElement record, string name) => record.GetProperty("event").GetString() == name;

    private static bool IsConfigLookup(IRequest request) => request.Url.Contains("/v1/config?", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await Collector.DisposeAsync();
        await Pages.DisposeAsync();
    }
}
