using System.Text;
using Beacon.Router.Rules;

namespace Beacon.Router.Tests.Rules;

public sealed class SdkRangeTests
{
    [Theory]
    [InlineData("js/1.10", true)]    // 1.10 is above 1.9: parts compare as numbers, not as text
    [InlineData("js/1.9.9", true)]
    [InlineData("js/1.11", false)]
    [InlineData("js/1.8.99", false)]
    public void Versions_compare_part_by_part_as_numbers(string sdk, bool matches)
    {
        var range = Range("js", "1.9", "1.11");

        Assert.Equal(matches, range.Matches(Encoding.UTF8.GetBytes(sdk)));
    }

    [Fact]
    public void A_two_digit_part_is_above_a_one_digit_part()
    {
        Assert.True(Version("1.10") > Version("1.9"));
        Assert.True(Version("10.0") > Version("9.99"));
        Assert.True(Version("1.2.10") > Version("1.2.9"));
    }

    [Theory]
    [InlineData("js/1.2.3.3", false)]
    [InlineData("js/1.2.3.4", true)]
    [InlineData("js/1.2.3.5", true)]
    [InlineData("js/1.2.4", true)]
    public void The_fourth_part_of_a_version_counts(string sdk, bool matches)
    {
        var range = Range("js", "1.2.3.4", "2.0");

        Assert.Equal(matches, range.Matches(Encoding.UTF8.GetBytes(sdk)));
    }

    [Theory]
    [InlineData("js")]
    [InlineData("js/1.4.2")]
    [InlineData("js/beta")]
    [InlineData("js/")]
    public void A_scope_naming_only_the_sdk_matches_any_version_of_it(string sdk)
    {
        var range = Range("js", null, null);

        Assert.True(range.Matches(Encoding.UTF8.GetBytes(sdk)));
    }

    [Theory]
    [InlineData("jsx/1.4.2")]
    [InlineData("jsx")]
    [InlineData("JS/1.4.2")]
    [InlineData("j/1.4.2")]
    public void The_sdk_name_must_be_equal_not_a_prefix_nor_another_case(string sdk)
    {
        Assert.False(Range("js", null, null).Matches(Encoding.UTF8.GetBytes(sdk)));
        Assert.False(Range("js", "1.0", "2.0").Matches(Encoding.UTF8.GetBytes(sdk)));
    }

    private static SdkRange Range(string name, string? min, string? max) =>
        new(name, min is null ? null : Version(min), max is null ? null : Version(max), min, max);

    private static SdkVersion Version(string text)
    {
        Assert.True(SdkVersion.TryParse(Encoding.UTF8.GetBytes(text), out var version), text);
        return version;
    }
}
