using Beacon.Parser.Enrichment;

namespace Beacon.Parser.Tests.Enrichment;

public sealed class RequiredLiteralTests
{
    [Theory]
    [InlineData(@"(Firefox)/(\d+)\.(\d+)", "Firefox/")]
    [InlineData(@"(Chromium|Chrome)/(\d+)\.(\d+)", "Chromium|Chrome")]
    [InlineData(@"\b(CrMo|CriOS)/(\d+)", "CrMo|CriOS")]
    [InlineData(@"Opera Mini(?:/att|)/?(\d+)", "Opera Mini")]
    [InlineData(@"(Edge?)/(\d+)", "Edg")]
    [InlineData(@"HbbTV/\d+\.\d+\.\d+ \(", "HbbTV/")]
    [InlineData(@"Version/(\d+)\.(\d+)(?:\.(\d+)|).{0,100}Safari/", "Version/|Safari/")]
    [InlineData(@"(?:abc)+def", "abc|def")]
    [InlineData(@"x{2}yyy", "yyy")]
    [InlineData(@"[Cc]harlotte|Googlebot", "harlotte|Googlebot")]
    public void The_literal_is_text_every_match_contains(string pattern, string expected)
    {
        var literals = RequiredLiteral.Of(pattern);

        Assert.NotNull(literals);
        var alternatives = expected.Split('|');

        // A sequence yields its single best literal; branches yield one literal each.
        Assert.True(alternatives.Length == literals.Length || (alternatives.Length > 1 && literals.Length == 1 && alternatives.Contains(literals[0])),
            $"got {string.Join('|', literals)}");
        Assert.All(literals, l => Assert.Contains(l, alternatives));
    }

    [Theory]
    [InlineData(@"(Windows|Android|WeTab)|\d+")] // a branch with no literal: anything could match
    [InlineData(@"(?=Chrome)Chrome")] // look-ahead: not understood
    [InlineData(@"(?i)chrome")] // inline option: not understood
    [InlineData(@"(Opera)?/\d")] // optional
    [InlineData(@"ab")] // too short to be worth a search
    [InlineData(@"(?:Mac[ +]?|; )OS[ +]X")] // "; " and "OS" are too short
    [InlineData(@"^.{0,200}?[Bb]ot")]
    [InlineData(@"Chrome\d{")] // malformed quantifier
    public void There_is_no_literal_when_a_match_need_not_contain_one_or_the_pattern_is_not_understood(string pattern)
    {
        Assert.Null(RequiredLiteral.Of(pattern));
    }

    [Fact]
    public void A_case_insensitive_rule_gets_only_ascii_literals()
    {
        Assert.Equal(["Kindle/"], RequiredLiteral.Of("(Kindle)/(\\d+)", ignoreCase: true)!);
        Assert.NotNull(RequiredLiteral.Of("(Fréquence)"));
        Assert.Null(RequiredLiteral.Of("(Fréquence)", ignoreCase: true)); // non-ASCII folds differently in the regex and the search
    }
}
