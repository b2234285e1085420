using System.Text;
using Beacon.Collector.Batch;
using Beacon.Parser;
using Beacon.Router.Routing;

namespace Beacon.Collector.Tests.Batch;

/// <summary><see cref="BatchParser"/> on its own: each limit at its edge, and how batch-level fields merge into events.</summary>
public sealed class BatchParserTests
{
    [Fact]
    public void An_event_of_exactly_the_byte_limit_is_accepted_and_one_byte_more_is_rejected_by_its_index()
    {
        // {"e":"pv"} is 10 bytes, {"e":"pvx"} 11.
        using var batch = Parse("""{"events":[{"e":"pv"},{"e":"pvx"}]}""", new BatchOptions { MaxEventBytes = 10 });

        Assert.Null(batch.Refusal);
        Assert.Single(batch.Accepted);
        Assert.Equal(new[] { (1, BatchEventRejection.EventTooLarge) }, batch.Rejected);
    }

    [Fact]
    public void A_value_of_exactly_the_byte_limit_is_accepted_and_one_byte_more_is_field_too_long()
    {
        using var batch = Parse("""{"events":[{"e":"pv","x":"abcd"},{"e":"pv","x":"abcde"}]}""", limits: new ParserOptions { MaxValueBytes = 4 });

        Assert.Equal("e=pv&x=abcd&eid=b-0", EventText(batch, 0));
        Assert.Equal(new[] { (1, BatchEventRejection.FieldTooLong) }, batch.Rejected);
    }

    [Fact]
    public void An_event_type_given_only_at_batch_level_makes_every_event_valid()
    {
        using var batch = Parse("""{"event":"pv","events":[{"n":"0"},{"n":"1"}]}""");

        Assert.Empty(batch.Rejected);
        Assert.Equal(new[] { "n=0&eid=b-0", "n=1&eid=b-1" }, batch.Accepted.Select((_, i) => EventText(batch, i)));
        Assert.Equal("e=pv", Encoding.UTF8.GetString(batch.Common.Written));
    }

    [Fact]
    public void Batch_and_event_properties_together_may_reach_the_limit_and_a_batch_property_an_event_overrides_counts_once()
    {
        var limits = new ParserOptions { MaxProperties = 2 };
        const string json = """{"x":"1","events":[{"e":"pv","y":"2"},{"e":"pv","y":"2","z":"3"},{"e":"pv","x":"mine","y":"2"}]}""";

        using var batch = Parse(json, limits: limits);

        Assert.Equal(new[] { (1, BatchEventRejection.TooManyProperties) }, batch.Rejected);
        Assert.Equal(2, batch.Accepted.Count);
        Assert.Equal("e=pv&y=2&eid=b-0", EventText(batch, 0));
        Assert.Equal("e=pv&x=mine&y=2&eid=b-2", EventText(batch, 1));
    }

    [Fact]
    public void The_header_batch_id_wins_over_the_body_batch_id()
    {
        using var batch = Parse("""{"batch_id":"from-body","events":[{"e":"pv"}]}""", headerBatchId: "from-header");

        Assert.Equal("from-header", batch.BatchId);
        Assert.False(batch.BatchIdFromBody);
        Assert.Equal("e=pv&eid=from-header-0", EventText(batch, 0));
    }

    [Fact]
    public void A_body_batch_id_of_exactly_the_length_limit_is_accepted_and_one_character_more_is_refused()
    {
        var options = new BatchOptions();
        var longest = new string('i', options.MaxBatchIdLength);

        using var accepted = Parse($$"""{"batch_id":"{{longest}}","events":[{"e":"pv"}]}""", options, headerBatchId: null);
        using var refused = Parse($$"""{"batch_id":"{{longest}}i","events":[{"e":"pv"}]}""", options, headerBatchId: null);

        Assert.Null(accepted.Refusal);
        Assert.Equal(longest, accepted.BatchId);
        Assert.True(accepted.BatchIdFromBody);
        Assert.Equal(BatchRefusal.InvalidBatchId, refused.Refusal);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("\"anonymous\":true,", false)]
    public void An_anonymous_batch_keys_its_events_by_no_visitor_even_with_a_device_id(string field, bool header)
    {
        using var batch = Parse($$"""{{{field}}"device_id":"6f9619ff8b86d011b42d00c04fc964ff","events":[{"e":"pv"}]}""", anonymous: header);

        Assert.True(batch.Anonymous);
        Assert.Equal(Guid.Empty, Assert.Single(batch.Accepted).VisitorId);
        Assert.DoesNotContain("device_id", Encoding.UTF8.GetString(batch.Common.Written), StringComparison.Ordinal);
    }

    private static ParsedBatch Parse(string json, BatchOptions? options = null, ParserOptions? limits = null, string? headerBatchId = "b", bool anonymous = false)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var batch = new ParsedBatch(bytes.Length);
        new BatchParser(options ?? new BatchOptions(), limits ?? new ParserOptions(), new RouteTable(new RouteTableOptions()))
            .Parse(bytes, batch, headerBatchId, anonymous);
        return batch;
    }

    private static string EventText(ParsedBatch batch, int accepted)
    {
        var entry = batch.Accepted[accepted];
        return Encoding.UTF8.GetString(batch.Events.Slice(entry.Start, entry.Length));
    }
}
