using System.Globalization;
using System.Text;
using Beacon.Parser.Enrichment;
using Beacon.Router.Tests;

namespace Beacon.Parser.Tests.Enrichment;

public sealed class UserAgentParserTests
{
    private const string ChromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    private readonly UserAgentParser _parser = new(new ParserOptions());

    [Theory]
    [InlineData(ChromeOnWindows, "Chrome", "131", "Windows", "10", DeviceClass.Desktop)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge", "131", "Windows", "10", DeviceClass.Desktop)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox", "133", "Windows", "10", DeviceClass.Desktop)]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", "Safari", "17", "Mac OS X", "10.15", DeviceClass.Desktop)]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox", "125", "Linux", null, DeviceClass.Desktop)]
    [InlineData("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", "124", "Chrome OS", "14541.0", DeviceClass.Desktop)]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Mobile Safari", "17", "iOS", "17.4", DeviceClass.Mobile)]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "Chrome Mobile iOS", "124", "iOS", "17.4", DeviceClass.Mobile)]
    [InlineData("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Mobile Safari", "17", "iOS", "17.4", DeviceClass.Tablet)]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", "Chrome Mobile", "124", "Android", "14", DeviceClass.Mobile)]
    [InlineData("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome Mobile", "131", "Android", "10", DeviceClass.Mobile)]
    [InlineData("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", "Samsung Internet", "25", "Android", "14", DeviceClass.Mobile)]
    [InlineData("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", "Firefox Mobile", "125", "Android", "14", DeviceClass.Mobile)]
    [InlineData("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome", "124", "Android", "13", DeviceClass.Tablet)]
    [InlineData("Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0", "Firefox Mobile", "125", "Android", "14", DeviceClass.Tablet)]
    [InlineData("Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/124.3.1 like Chrome/124.0.6367.219 Safari/537.36", "Amazon Silk", "124", "Android", "11", DeviceClass.Tablet)]
    [InlineData("Mozilla/5.0 (Linux; Android 12; BRAVIA 4K VH2 Build/STT1.211025.001.Z4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0.5481.153 Safari/537.36", "Chrome", "110", "Android", "12", DeviceClass.Other)]
    [InlineData("Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15", "Safari", "13", "Other", null, DeviceClass.Other)]
    public void A_browser_is_named_with_its_platform_and_device_class_and_is_not_a_bot(string userAgent, string browser, string major, string os, string? osVersion, DeviceClass device)
    {
        var info = _parser.Parse(userAgent);

        Assert.Equal(browser, info.BrowserFamily);
        Assert.Equal(major, info.BrowserMajor);
        Assert.Equal(os, info.OsFamily);
        Assert.Equal(osVersion, info.OsVersion);
        Assert.Equal(device, info.DeviceClass);
        Assert.False(info.IsBot);
    }

    [Theory]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot")]
    [InlineData("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot")]
    [InlineData("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot")]
    [InlineData("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "GPTBot")]
    [InlineData("curl/8.5.0", "curl")]
    [InlineData("Wget/1.21.4", "Wget")]
    [InlineData("python-requests/2.31.0", "Python Requests")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "HeadlessChrome")]
    [InlineData("Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1", "PhantomJS")]
    public void Crawlers_scripts_and_headless_browsers_are_flagged_as_bots(string userAgent, string browser)
    {
        var info = _parser.Parse(userAgent);

        Assert.True(info.IsBot);
        Assert.Equal(DeviceClass.Bot, info.DeviceClass);
        Assert.Equal(browser, info.BrowserFamily);
    }

    [Fact]
    public void Every_example_in_the_crawler_list_is_flagged()
    {
        using var list = typeof(UserAgentParser).Assembly.GetManifestResourceStream("Beacon.Parser.Enrichment.Data.crawler-user-agents.json")!;
        using var json = System.Text.Json.JsonDocument.Parse(list);
        var examples = json.RootElement.EnumerateArray()
            .SelectMany(static crawler => crawler.TryGetProperty("instances", out var instances) ? instances.EnumerateArray().Select(static i => i.GetString()!) : [])
            .ToList();

        Assert.True(examples.Count > 1000, $"only {examples.Count} examples");
        Assert.DoesNotContain(examples, static ua => !BotPatterns.Default.IsBot(ua));
    }

    [Fact]
    public void Parsing_the_same_user_agent_twice_returns_the_same_result()
    {
        var first = _parser.Parse(Encoding.UTF8.GetBytes(ChromeOnWindows));
        var second = _parser.Parse(Encoding.UTF8.GetBytes(ChromeOnWindows));

        Assert.Same(first, second);
        Assert.Equal(1, _parser.CachedCount);
    }

    [Fact]
    public void A_cache_hit_allocates_nothing()
    {
        var userAgent = Encoding.UTF8.GetBytes(ChromeOnWindows);
        var expected = _parser.Parse(userAgent);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            Assert.Same(expected, _parser.Parse(userAgent));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void The_cache_never_holds_more_than_its_size()
    {
        var parser = new UserAgentParser(new ParserOptions { UserAgentCacheSize = 10 });

        var sizes = Enumerable.Range(0, 100).Select(i =>
        {
            parser.Parse($"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/{i}.0.0.0");
            return parser.CachedCount;
        }).ToList();

        Assert.True(sizes.Max() <= 10, $"held {sizes.Max()}");
        Assert.True(sizes[^1] >= 5, "a full cache drops only its older half");
    }

    [Fact]
    public void A_user_agent_in_steady_use_survives_the_cache_turning_over()
    {
        var parser = new UserAgentParser(new ParserOptions { UserAgentCacheSize = 4 });
        var regular = parser.Parse(ChromeOnWindows);

        for (var i = 0; i < 50; i++)
        {
            parser.Parse($"Mozilla/5.0 (X11; Linux x86_64; rv:{i}.0) Gecko/20100101 Firefox/{i}.0");
            Assert.Same(regular, parser.Parse(ChromeOnWindows));
        }
    }

    [Fact]
    public void A_user_agent_dropped_from_the_cache_is_parsed_again_to_an_equal_result()
    {
        var parser = new UserAgentParser(new ParserOptions { UserAgentCacheSize = 2 });
        var first = parser.Parse(ChromeOnWindows);
        for (var i = 0; i < 4; i++)
        {
            parser.Parse($"Mozilla/5.0 (X11; Linux x86_64; rv:{i}.0) Gecko/20100101 Firefox/{i}.0");
        }

        var again = parser.Parse(ChromeOnWindows);

        Assert.NotSame(first, again);
        Assert.Equivalent(first, again);
    }

    [Fact]
    public void Threads_sharing_a_cache_that_keeps_turning_over_each_get_their_own_user_agents_result()
    {
        // 200 User-Agents through 8 entries on 4 threads: entries are dropped, moved and looked up
        // again all the time, and some share a slot of the cache's front index.
        var parser = new UserAgentParser(new ParserOptions { UserAgentCacheSize = 8 });
        var userAgents = Enumerable.Range(0, 200).Select(static i => Utf8($"Mozilla/5.0 (X11; Linux x86_64; rv:{i}.0) Gecko/20100101 Firefox/{i}.0")).ToArray();
        var wrong = 0;

        Parallel.For(0, 4, worker =>
        {
            for (var n = 0; n < 5_000; n++)
            {
                var i = ((n * 7) + (worker * 13)) % (n % 3 == 0 ? userAgents.Length : 6); // some few often, the rest rarely
                if (parser.Parse(userAgents[i]).BrowserMajor != i.ToString(CultureInfo.InvariantCulture))
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        });

        Assert.Equal(0, wrong);
        Assert.True(parser.CachedCount <= 8, $"held {parser.CachedCount}");
    }

    [Fact]
    public void Only_the_first_kilobyte_of_a_giant_user_agent_is_parsed()
    {
        var head = ChromeOnWindows + new string(' ', UserAgentParser.MaxParsedBytes - ChromeOnWindows.Length);

        var first = _parser.Parse(head + "(compatible; Googlebot/2.1)");
        var second = _parser.Parse(head + new string('x', 30_000));

        Assert.Same(first, second);
        Assert.Equal("Chrome", first.BrowserFamily);
        Assert.False(first.IsBot);
    }

    [Fact]
    public void A_cache_smaller_than_two_entries_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new UserAgentParser(new ParserOptions { UserAgentCacheSize = 1 }));
    }

    [Fact]
    public void Cache_misses_over_the_budget_are_left_unparsed_and_counted_while_hits_still_parse()
    {
        var clock = new ManualTimeProvider();
        var parser = new UserAgentParser(new ParserOptions { UserAgentMissesPerSecond = 5 }, clock);

        var first = Enumerable.Range(0, 20).Select(i => parser.ParseWithinBudget(Utf8(Unique(i)))).ToList();

        Assert.Equal(5, first.Count(static info => info is not null));
        Assert.All(first.Take(5), static info => Assert.NotNull(info)); // the budget is spent in arrival order
        Assert.Equal(15, parser.Unparsed);
        Assert.NotNull(parser.ParseWithinBudget(Utf8(Unique(0)))); // a hit needs no budget
        Assert.Equal(15, parser.Unparsed);

        clock.Advance(TimeSpan.FromSeconds(1));
        var next = Enumerable.Range(20, 10).Select(i => parser.ParseWithinBudget(Utf8(Unique(i)))).ToList();
        Assert.Equal(5, next.Count(static info => info is not null));

        // Idle time saves up one second's worth, not more.
        clock.Advance(TimeSpan.FromMinutes(10));
        var later = Enumerable.Range(30, 10).Select(i => parser.ParseWithinBudget(Utf8(Unique(i)))).ToList();
        Assert.Equal(5, later.Count(static info => info is not null));
        Assert.Equal(25, parser.Unparsed);
    }

    [Fact]
    public void A_user_agent_left_unparsed_is_parsed_when_it_comes_again_within_the_budget()
    {
        var clock = new ManualTimeProvider();
        var parser = new UserAgentParser(new ParserOptions { UserAgentMissesPerSecond = 1 }, clock);
        Assert.NotNull(parser.ParseWithinBudget(Utf8(Unique(1))));
        Assert.Null(parser.ParseWithinBudget(Utf8(ChromeOnWindows)));

        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("Chrome", parser.ParseWithinBudget(Utf8(ChromeOnWindows))?.BrowserFamily);
    }

    [Fact]
    public void A_budget_of_zero_parses_every_miss()
    {
        var parser = new UserAgentParser(new ParserOptions { UserAgentMissesPerSecond = 0 }, new ManualTimeProvider());

        Assert.All(Enumerable.Range(0, 50), i => Assert.NotNull(parser.ParseWithinBudget(Utf8(Unique(i)))));
        Assert.Equal(0, parser.Unparsed);
    }

    private static string Unique(int i) => $"Mozilla/5.0 (X11; Linux x86_64; rv:{i}.0) Gecko/20100101 Firefox/{i}.0";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
