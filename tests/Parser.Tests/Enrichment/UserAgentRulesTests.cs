using System.Text;
using Beacon.Parser.Enrichment;

namespace Beacon.Parser.Tests.Enrichment;

/// <summary>ua-parser's specification on small hand-written rule files.</summary>
public sealed class UserAgentRulesTests
{
    private static readonly UserAgentRules Rules = Load("""
        user_agent_parsers:
          - regex: '(Namoroka|Shiretoko|Minefield)/(\d+)\.(\d+)\.(\d+(?:pre|))'
            family_replacement: 'Firefox ($1)'
          - regex: '(Firefox)/(\d+)\.(\d+)'
          - regex: 'Mozilla.{0,30}(Firefox)/(\d+)'
            family_replacement: 'Never reached'
          - regex: 'PhantomBrowser/(\d+)'
            family_replacement: 'Phantom'
            v1_replacement: 'v$1'
        os_parsers:
          - regex: 'Windows NT 10\.0'
            os_replacement: 'Windows'
            os_v1_replacement: '10'
          - regex: '(Android)[ /](\d+)(?:\.(\d+)|)'
        device_parsers:
          - regex: '; {0,2}(SM-[A-Z]\d+)'
            device_replacement: 'Samsung $1'
            brand_replacement: 'Samsung'
            model_replacement: '$1'
          - regex: '(kindle)/(\d+)'
            regex_flag: 'i'
            device_replacement: 'Kindle'
            brand_replacement: 'Amazon'
            model_replacement: '$1 $3 '
        """);

    [Fact]
    public void A_family_replacement_takes_the_first_group_and_versions_the_next_ones()
    {
        Assert.Equal(new UserAgentRules.BrowserMatch("Firefox (Minefield)", "4", "0", "1pre"), Rules.MatchBrowser("Mozilla/5.0 (Windows; rv:2.0b3pre) Gecko/20100727 Minefield/4.0.1pre"));
    }

    [Fact]
    public void Without_replacements_the_groups_are_family_major_and_minor_in_order()
    {
        Assert.Equal(new UserAgentRules.BrowserMatch("Firefox", "125", "0", null), Rules.MatchBrowser("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"));
    }

    [Fact]
    public void A_version_replacement_may_use_groups_too()
    {
        Assert.Equal(new UserAgentRules.BrowserMatch("Phantom", "v7", null, null), Rules.MatchBrowser("PhantomBrowser/7"));
    }

    [Fact]
    public void Nothing_matching_is_Other_with_no_version()
    {
        Assert.Equal(new UserAgentRules.BrowserMatch("Other", null, null, null), Rules.MatchBrowser("curl/8.5.0"));
        Assert.Equal(new UserAgentRules.OsMatch("Other", null, null, null, null), Rules.MatchOperatingSystem("curl/8.5.0"));
        Assert.Equal(new UserAgentRules.DeviceMatch("Other", null, null), Rules.MatchDevice("curl/8.5.0"));
    }

    [Fact]
    public void An_unmatched_optional_group_is_no_version()
    {
        Assert.Equal(new UserAgentRules.OsMatch("Android", "14", null, null, null), Rules.MatchOperatingSystem("Mozilla/5.0 (Linux; Android 14; Pixel 8)"));
        Assert.Equal(new UserAgentRules.OsMatch("Windows", "10", null, null, null), Rules.MatchOperatingSystem("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"));
    }

    [Fact]
    public void Device_replacements_fill_family_brand_and_model()
    {
        Assert.Equal(new UserAgentRules.DeviceMatch("Samsung SM-X710", "Samsung", "SM-X710"), Rules.MatchDevice("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36"));
    }

    [Fact]
    public void A_case_insensitive_rule_matches_any_case_and_replacements_are_trimmed_with_missing_groups_empty()
    {
        Assert.Equal(new UserAgentRules.DeviceMatch("Kindle", "Amazon", "KINDLE"), Rules.MatchDevice("Mozilla/5.0 (KINDLE/3)"));
    }

    [Fact]
    public void A_case_insensitive_rule_still_matches_where_the_regex_folds_case_more_widely_than_an_ordinal_search()
    {
        // The regex takes the Kelvin sign for a 'k'; the literal search ahead of it must not skip the rule.
        Assert.Equal("Kindle", Rules.MatchDevice("Mozilla/5.0 (\u212Aindle/3)").Family);
    }

    private static UserAgentRules Load(string yaml)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(yaml));
        return UserAgentRules.Load(stream);
    }
}
