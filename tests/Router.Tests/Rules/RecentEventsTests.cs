using System.Text;
using Beacon.Router.Routing;
using Beacon.Router.Rules;

namespace Beacon.Router.Tests.Rules;

/// <summary>The window a dry run reads: the last events' scope fields, what a proposed rule set would do to them.</summary>
public sealed class RecentEventsTests
{
    private static readonly RouteTable Table = new(new RouteTableOptions());

    [Fact]
    public void A_dry_run_counts_what_each_rule_would_decide_over_the_recent_events()
    {
        var recent = new RecentEvents(16);
        Record(recent, "e=pv&a=shop");
        Record(recent, "e=exp&a=shop");
        Record(recent, "e=pay&a=news");

        var result = recent.DryRun(Set("""{"rules":[{"id":"drop-shop","action":"drop","scope":{"app":["shop"]}},{"id":"hold-orders","action":"hold","scope":{"route":["order"]}}]}"""), TestBeacon.DefaultReceivedAtMs);

        Assert.Equal(3, result.Events);
        Assert.Equal(0, result.Unmatched);
        var byRule = result.ByRule.ToDictionary(static r => r.Rule.Id);
        Assert.Equal(2, byRule["drop-shop"].Dropped);
        Assert.Equal(1, byRule["hold-orders"].Held);
    }

    [Fact]
    public void Only_the_last_capacity_events_are_kept()
    {
        var recent = new RecentEvents(2);
        Record(recent, "e=pay");
        Record(recent, "e=pv");
        Record(recent, "e=click");

        var result = recent.DryRun(Set("""{"rules":[{"id":"orders","action":"drop","scope":{"route":["order"]}}]}"""), TestBeacon.DefaultReceivedAtMs);

        Assert.Equal(2, result.Events);
        Assert.Equal(2, result.Unmatched); // the order event was the oldest, and is gone
    }

    [Fact]
    public void A_value_is_kept_up_to_the_field_size_so_a_longer_one_matches_only_its_cut_prefix()
    {
        var fits = new string('a', RecentEvents.FieldBytes);
        var recent = new RecentEvents(16);
        Record(recent, $"e=pv&a={fits}");
        Record(recent, $"e=pv&a={fits}b");

        var result = recent.DryRun(Set("{\"rules\":[{\"id\":\"in-full\",\"action\":\"drop\",\"scope\":{\"app\":[\"" + fits + "b\"]}},"
            + "{\"id\":\"prefix\",\"action\":\"drop\",\"scope\":{\"app\":[\"" + fits + "\"]}}]}"), TestBeacon.DefaultReceivedAtMs);

        var byRule = result.ByRule.ToDictionary(static r => r.Rule.Id);
        Assert.Equal(0, byRule["in-full"].Matched);
        Assert.Equal(2, byRule["prefix"].Dropped);
    }

    [Fact]
    public void A_sample_rule_is_tried_on_each_events_own_device()
    {
        var visitors = Enumerable.Range(0, 64).Select(static i => new Guid(i, 0, 0, new byte[8])).ToList();
        var recent = new RecentEvents(64);
        foreach (var visitor in visitors)
        {
            var evt = new TestBeacon { Query = TestBeacon.Utf8("e=pv"), VisitorId = visitor }.Decode();
            recent.Record(evt, Table.Resolve(evt.Route, evt.EventType));
        }

        var result = recent.DryRun(Set("""{"rules":[{"id":"half","action":"sample","rate":0.5}]}"""), TestBeacon.DefaultReceivedAtMs);

        var kept = visitors.Count(static v => DeviceSampler.Keeps("half"u8, Encoding.ASCII.GetBytes(v.ToString("N")), 0.5));
        var half = Assert.Single(result.ByRule);
        Assert.Equal(kept, half.Kept);
        Assert.Equal(visitors.Count - kept, half.SampledOut);
    }

    private static void Record(RecentEvents recent, string query)
    {
        var evt = TestBeacon.Of(query).Decode();
        recent.Record(evt, Table.Resolve(evt.Route, evt.EventType));
    }

    private static RuleSet Set(string json) => new(1, RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(json), null));
}
