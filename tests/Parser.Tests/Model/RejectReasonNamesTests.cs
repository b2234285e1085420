using System.Text.RegularExpressions;
using Beacon.Parser.Model;

namespace Beacon.Parser.Tests.Model;

public sealed partial class RejectReasonNamesTests
{
    [Theory]
    [InlineData(RejectReason.None, "none")]
    [InlineData(RejectReason.InvalidPercentEncoding, "invalid_percent_encoding")]
    [InlineData(RejectReason.InvalidUtf8, "invalid_utf8")]
    [InlineData(RejectReason.MissingEventType, "missing_event_type")]
    [InlineData(RejectReason.InvalidClientTime, "invalid_client_time")]
    [InlineData(RejectReason.EmptyParameterName, "empty_parameter_name")]
    [InlineData(RejectReason.FieldTooLong, "field_too_long")]
    [InlineData(RejectReason.TooManyProperties, "too_many_properties")]
    [InlineData(RejectReason.InvalidHeader, "invalid_header")]
    [InlineData(RejectReason.InternalError, "internal_error")]
    public void Name_is_the_snake_case_form_of_the_reason(RejectReason reason, string expected)
    {
        Assert.Equal(expected, reason.Name());
    }

    [Fact]
    public void Every_reason_has_a_distinct_snake_case_name()
    {
        var names = Enum.GetValues<RejectReason>().Select(static r => r.Name()).ToList();

        Assert.All(names, static name => Assert.Matches(SnakeCase(), name));
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SnakeCase();
}
