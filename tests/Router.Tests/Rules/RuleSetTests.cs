using System.Text;
using Beacon.Router.Routing;
using Beacon.Router.Rules;

namespace Beacon.Router.Tests.Rules;

public sealed class RuleSetTests
{
    private static readonly RouteTable Table = new(new RouteTableOptions());
    private static readonly HashSet<string> Routes = [.. Table.Routes.Select(static r => r.Name)];
    private static readonly DateTimeOffset Received = DateTimeOffset.FromUnixTimeMilliseconds(TestBeacon.DefaultReceivedAtMs);

    [Fact]
    public void No_rules_keep_everything_at_rate_one()
    {
        var decision = Decide(RuleSet.Empty, "e=pv&a=shop");

        Assert.Equal(RuleOutcome.Kept, decision.Outcome);
        Assert.Null(decision.Rule);
        Assert.Equal(1.0, decision.SampleRate);
    }

    [Fact]
    public void The_first_matching_rule_decides()
    {
        var set = Set("""
            {"rules":[
              {"id":"keep-orders-of-shop","action":"sample","rate":1,"scope":{"app":["shop"],"route":["order"]}},
              {"id":"drop-orders","action":"drop","scope":{"route":["order"]}},
              {"id":"hold-all","action":"hold"}]}
            """);

        Assert.Equal("keep-orders-of-shop", Decide(set, "e=order&a=shop").Rule!.Id);
        Assert.Equal(RuleOutcome.Dropped, Decide(set, "e=order&a=news").Outcome);
        Assert.Equal(RuleOutcome.Held, Decide(set, "e=pv&a=shop").Outcome);
    }

    [Theory]
    [InlineData("e=exp&a=shop&p=web&sdk=js/1.4.2", true)]
    [InlineData("e=exp&a=shop&p=ios&sdk=js/1.4.2", false)]  // platform
    [InlineData("e=exp&a=news&p=web&sdk=js/1.4.2", false)]  // app
    [InlineData("e=imp&a=shop&p=web&sdk=js/1.4.2", false)]  // event
    [InlineData("e=exp&a=shop&p=web&sdk=js/2.0", false)]    // sdk at max: the range is [min, max)
    [InlineData("e=exp&a=shop&p=web&sdk=js/1.2", true)]     // sdk at min
    [InlineData("e=exp&a=shop&p=web&sdk=js/1.1.9", false)]
    [InlineData("e=exp&a=shop&p=web&sdk=ios/1.4.2", false)] // sdk name
    [InlineData("e=exp&a=shop&p=web", false)]               // no sdk named: a sdk scope cannot match
    public void Every_scope_dimension_must_match(string query, bool matches)
    {
        var set = Set("""
            {"rules":[{"id":"r","action":"drop","scope":{"app":["shop"],"platform":["web"],"event":["exp"],"route":["exposure"],"sdk":{"name":"js","min":"1.2","max":"2.0"}}}]}
            """);

        Assert.Equal(matches ? RuleOutcome.Dropped : RuleOutcome.Kept, Decide(set, query).Outcome);
    }

    [Fact]
    public void The_route_dimension_matches_the_resolved_route_whatever_the_event()
    {
        var set = Set("""{"rules":[{"id":"r","action":"drop","scope":{"route":["order"]}}]}""");

        Assert.Equal(RuleOutcome.Dropped, Decide(set, "e=pay").Outcome);
        Assert.Equal(RuleOutcome.Dropped, Decide(set, "e=pv", route: "order").Outcome);
        Assert.Equal(RuleOutcome.Kept, Decide(set, "e=pv").Outcome);
    }

    [Fact]
    public void A_rule_applies_only_inside_its_time_window()
    {
        var start = Received.AddMinutes(-1).ToString("O");
        var end = Received.AddMinutes(1).ToString("O");
        var active = Set($$"""{"rules":[{"id":"r","action":"drop","start":"{{start}}","end":"{{end}}"}]}""");
        var ended = Set($$"""{"rules":[{"id":"r","action":"drop","end":"{{start}}"}]}""");
        var future = Set($$"""{"rules":[{"id":"r","action":"drop","start":"{{end}}"}]}""");

        Assert.Equal(RuleOutcome.Dropped, Decide(active, "e=pv").Outcome);
        Assert.Equal(RuleOutcome.Kept, Decide(ended, "e=pv").Outcome);
        Assert.Equal(RuleOutcome.Kept, Decide(future, "e=pv").Outcome);
    }

    [Fact]
    public void A_sample_rule_keeps_a_device_by_the_hash_and_reports_its_rate()
    {
        var set = Set("""{"rules":[{"id":"half","action":"sample","rate":0.5}]}""");
        var visitors = Enumerable.Range(0, 200).Select(static i => new Guid(i, 0, 0, new byte[8])).ToList();

        foreach (var visitor in visitors)
        {
            var decision = Decide(set, "e=pv", visitor: visitor);
            var expected = DeviceSampler.Keeps("half"u8, Encoding.ASCII.GetBytes(visitor.ToString("N")), 0.5);
            Assert.Equal(expected ? RuleOutcome.Kept : RuleOutcome.SampledOut, decision.Outcome);
            Assert.Equal(0.5, decision.SampleRate);
        }
    }

    [Theory]
    [InlineData("e=exp&a=shop&p=web", true)]
    [InlineData("e=exp&a=Shop&p=web", false)]  // app
    [InlineData("e=exp&a=shop&p=WEB", false)]  // platform
    [InlineData("e=Exp&a=shop&p=web", false)]  // event
    public void Scope_values_match_only_with_the_same_case(string query, bool matches)
    {
        var set = Set("""{"rules":[{"id":"r","action":"drop","scope":{"app":["shop"],"platform":["web"],"event":["exp"]}}]}""");

        Assert.Equal(matches ? RuleOutcome.Dropped : RuleOutcome.Kept, Decide(set, query).Outcome);
    }

    private static RuleSet Set(string json) => new(1, RuleSetJson.ReadRules(Encoding.UTF8.GetBytes(json), Routes));

    private static RuleDecision Decide(RuleSet set, string query, string? route = null, Guid? visitor = null)
    {
        var beacon = new TestBeacon
        {
            Query = TestBeacon.Utf8(query),
            Route = route is null ? default : TestBeacon.Utf8(route),
            VisitorId = visitor ?? TestBeacon.DefaultVisitor,
        };
        var evt = beacon.Decode();
        var device = Encoding.ASCII.GetBytes(evt.VisitorId.ToString("N"));
        return set.Evaluate(evt, Table.Resolve(evt.Route, evt.EventType), device);
    }
}
