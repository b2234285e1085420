using Beacon.Parser.Enrichment;
using Xunit.Abstractions;

namespace Beacon.Parser.Tests.Enrichment;

/// <summary>
/// The parser against uap-core's own test corpora: the shipped rules (0.18.0) must reach the issue's
/// goal of 99 %, and with the rules the corpora were written for (0.16.0) every field of every case
/// must match, which checks the implementation of ua-parser's specification itself.
/// </summary>
public sealed class UserAgentCorpusTests(ITestOutputHelper output)
{
    private const double Goal = 0.99;

    private static readonly Lazy<UserAgentRules> CorporaRules = new(static () =>
    {
        using var yaml = UapCoreCorpus.OpenRegexes();
        return UserAgentRules.Load(yaml);
    });

    [Fact]
    public void The_shipped_rules_name_browser_family_and_major_for_at_least_99_percent_of_the_browser_corpus()
    {
        AssertRate("test_ua.yaml", Goal, static c =>
        {
            var browser = UserAgentRules.Default.MatchBrowser(c.UserAgent);
            return (browser.Family == c["family"] && browser.Major == c["major"], $"{browser.Family} {browser.Major}");
        });
    }

    [Fact]
    public void The_shipped_rules_name_os_family_and_major_for_at_least_99_percent_of_the_os_corpus()
    {
        AssertRate("test_os.yaml", Goal, static c =>
        {
            var os = UserAgentRules.Default.MatchOperatingSystem(c.UserAgent);
            return (os.Family == c["family"] && os.Major == c["major"], $"{os.Family} {os.Major}");
        });
    }

    [Fact]
    public void The_shipped_rules_name_device_family_brand_and_model_for_at_least_99_percent_of_the_device_corpus()
    {
        AssertRate("test_device.yaml", Goal, static c =>
        {
            var device = UserAgentRules.Default.MatchDevice(c.UserAgent);
            return (device.Family == c["family"] && device.Brand == c["brand"] && device.Model == c["model"], $"{device.Family}|{device.Brand}|{device.Model}");
        });
    }

    [Fact]
    public void With_the_corpus_release_rules_every_browser_case_matches_in_every_field()
    {
        AssertRate("test_ua.yaml", 1.0, static c =>
        {
            var b = CorporaRules.Value.MatchBrowser(c.UserAgent);
            return (b.Family == c["family"] && b.Major == c["major"] && b.Minor == c["minor"] && b.Patch == c["patch"], $"{b.Family} {b.Major}.{b.Minor}.{b.Patch}");
        });
    }

    [Fact]
    public void With_the_corpus_release_rules_every_os_case_matches_in_every_field()
    {
        AssertRate("test_os.yaml", 1.0, static c =>
        {
            var os = CorporaRules.Value.MatchOperatingSystem(c.UserAgent);
            return (os.Family == c["family"] && os.Major == c["major"] && os.Minor == c["minor"] && os.Patch == c["patch"] && os.PatchMinor == c["patch_minor"],
                $"{os.Family} {os.Major}.{os.Minor}.{os.Patch}.{os.PatchMinor}");
        });
    }

    [Fact]
    public void With_the_corpus_release_rules_every_device_case_matches_in_every_field()
    {
        AssertRate("test_device.yaml", 1.0, static c =>
        {
            var device = CorporaRules.Value.MatchDevice(c.UserAgent);
            return (device.Family == c["family"] && device.Brand == c["brand"] && device.Model == c["model"], $"{device.Family}|{device.Brand}|{device.Model}");
        });
    }

    private void AssertRate(string corpus, double floor, Func<UapCoreCorpus.Case, (bool Matches, string Got)> check)
    {
        var cases = UapCoreCorpus.Read(corpus);
        Assert.NotEmpty(cases);
        var misses = new List<string>();
        foreach (var c in cases)
        {
            var (matches, got) = check(c);
            if (!matches)
            {
                misses.Add($"{c.UserAgent} → {got}; expected {string.Join(' ', c.Expected.Where(static kv => kv.Key != "user_agent_string").Select(static kv => kv.Value))}");
            }
        }

        var rate = (double)(cases.Count - misses.Count) / cases.Count;
        output.WriteLine($"{corpus}: {cases.Count - misses.Count}/{cases.Count} = {rate:P2}");
        Assert.True(rate >= floor, $"{corpus}: {rate:P2} match, below {floor:P0}. First misses:\n{string.Join('\n', misses.Take(20))}");
    }
}
