using System.Text;
using Beacon.Router.Routing;

namespace Beacon.Router.Tests.Routing;

public sealed class RouteTableTests
{
    private readonly RouteTable _defaults = new(new RouteTableOptions());

    [Theory]
    [InlineData("order", "order", Priority.P0, "beacon.p0")]
    [InlineData("pay", "order", Priority.P0, "beacon.p0")]
    [InlineData("refund", "order", Priority.P0, "beacon.p0")]
    [InlineData("pv", "pageview", Priority.P1, "beacon.p1")]
    [InlineData("click", "pageview", Priority.P1, "beacon.p1")]
    [InlineData("exp", "exposure", Priority.P2, "beacon.p2")]
    [InlineData("perf", "perf", Priority.P3, "beacon.p3")]
    [InlineData("err", "perf", Priority.P3, "beacon.p3")]
    public void Default_routes_map_event_types_to_their_priority_topic(string eventType, string route, Priority priority, string topic)
    {
        var resolved = _defaults.Resolve(""u8, Encoding.UTF8.GetBytes(eventType));

        Assert.Equal(route, resolved.Name);
        Assert.Equal(priority, resolved.Priority);
        Assert.Equal(topic, resolved.Topic);
    }

    [Fact]
    public void An_unknown_event_type_goes_to_the_default_route()
    {
        var resolved = _defaults.Resolve(""u8, "something_else"u8);

        Assert.Same(_defaults.Default, resolved);
        Assert.Equal("default", resolved.Name);
        Assert.Equal(Priority.P1, resolved.Priority);
        Assert.Equal("beacon.p1", resolved.Topic);
    }

    [Fact]
    public void An_empty_event_type_goes_to_the_default_route() =>
        Assert.Same(_defaults.Default, _defaults.Resolve(""u8, ""u8));

    [Fact]
    public void An_event_type_longer_than_any_name_goes_to_the_default_route() =>
        Assert.Same(_defaults.Default, _defaults.Resolve(""u8, Encoding.UTF8.GetBytes(new string('x', 500))));

    [Fact]
    public void The_route_the_url_names_wins_over_the_event_type()
    {
        var resolved = _defaults.Resolve("order"u8, "pv"u8);

        Assert.Equal("order", resolved.Name);
        Assert.Equal(Priority.P0, resolved.Priority);
        Assert.Equal("beacon.p0", resolved.Topic);
    }

    [Fact]
    public void An_unknown_route_name_falls_back_to_the_event_type()
    {
        Assert.Equal("pageview", _defaults.Resolve("no-such-route"u8, "pv"u8).Name);
        Assert.Equal("pageview", _defaults.Resolve("no-such-route", "pv").Name);
    }

    [Theory]
    [InlineData("", "pay")]
    [InlineData("order", "pv")]
    [InlineData("perf", "order")]
    [InlineData("nope", "exp")]
    [InlineData("nope", "nope")]
    [InlineData("", "")]
    [InlineData("exposure", "")]
    [InlineData("ORDER", "PV")]
    public void The_utf8_and_char_overloads_agree(string routeName, string eventType)
    {
        var fromBytes = _defaults.Resolve(Encoding.UTF8.GetBytes(routeName), Encoding.UTF8.GetBytes(eventType));
        var fromChars = _defaults.Resolve(routeName.AsSpan(), eventType.AsSpan());

        Assert.Same(fromChars, fromBytes);
    }

    [Fact]
    public void Non_ascii_event_types_resolve_from_utf8_and_chars_alike()
    {
        var options = new RouteTableOptions();
        var purchase = new RouteDefinition { Name = "purchase", Priority = Priority.P0 };
        purchase.Events.Add("购买");
        options.Routes.Add(purchase);
        var table = new RouteTable(options);

        Assert.Equal("purchase", table.Resolve(""u8, Encoding.UTF8.GetBytes("购买")).Name);
        Assert.Equal("purchase", table.Resolve("", "购买").Name);
    }

    [Fact]
    public void Lookups_are_case_sensitive() =>
        Assert.Same(_defaults.Default, _defaults.Resolve("ORDER"u8, "PAY"u8));

    [Fact]
    public void FindByName_finds_configured_routes_only()
    {
        Assert.Equal(Priority.P2, _defaults.FindByName("exposure")?.Priority);
        Assert.Null(_defaults.FindByName("exp"));
    }

    [Fact]
    public void The_dead_letter_topic_is_beacon_dlq() =>
        Assert.Equal("beacon.dlq", _defaults.DeadLetterTopic);

    [Fact]
    public void Topics_lists_every_priority_topic_and_the_dead_letter_topic_once() =>
        Assert.Equal(
            new[] { "beacon.dlq", "beacon.p0", "beacon.p1", "beacon.p2", "beacon.p3" },
            _defaults.Topics.Order(StringComparer.Ordinal));

    [Fact]
    public void Routes_include_the_default_route() =>
        Assert.Equal(
            new[] { "default", "exposure", "order", "pageview", "perf" },
            _defaults.Routes.Select(static r => r.Name).Order(StringComparer.Ordinal));

    [Fact]
    public void The_topic_prefix_changes_every_topic()
    {
        var table = new RouteTable(new RouteTableOptions { TopicPrefix = "shop" });

        Assert.Equal("shop.p0", table.Resolve(""u8, "pay"u8).Topic);
        Assert.Equal("shop.p3", table.Resolve(""u8, "err"u8).Topic);
        Assert.Equal("shop.p1", table.Default.Topic);
        Assert.Equal("shop.dlq", table.DeadLetterTopic);
        Assert.Equal(
            new[] { "shop.dlq", "shop.p0", "shop.p1", "shop.p2", "shop.p3" },
            table.Topics.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Configured_routes_replace_the_defaults()
    {
        var options = new RouteTableOptions();
        options.Routes.Add(Define("checkout", Priority.P0, "buy"));
        var table = new RouteTable(options);

        Assert.Equal("checkout", table.Resolve(""u8, "buy"u8).Name);
        Assert.Equal("beacon.p0", table.Resolve(""u8, "buy"u8).Topic);
        Assert.Same(table.Default, table.Resolve(""u8, "pay"u8));
        Assert.Same(table.Default, table.Resolve("order"u8, "pv"u8));
        Assert.Null(table.FindByName("order"));
        Assert.Equal(new[] { "checkout", "default" }, table.Routes.Select(static r => r.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_routes_explicit_topic_is_used()
    {
        var options = new RouteTableOptions();
        var payments = Define("payments", Priority.P0, "pay");
        payments.Topic = "payments-raw";
        options.Routes.Add(payments);
        var table = new RouteTable(options);

        Assert.Equal("payments-raw", table.Resolve(""u8, "pay"u8).Topic);
        Assert.Equal("payments-raw", table.Resolve("payments", "").Topic);
        Assert.Contains("payments-raw", table.Topics);
        Assert.Contains("beacon.dlq", table.Topics);
    }

    [Fact]
    public void The_default_route_can_name_a_configured_route()
    {
        var table = new RouteTable(new RouteTableOptions { DefaultRoute = "perf" });

        Assert.Equal("perf", table.Default.Name);
        Assert.Equal(Priority.P3, table.Resolve(""u8, "unknown"u8).Priority);
        Assert.Equal("beacon.p3", table.Resolve(""u8, "unknown"u8).Topic);
    }

    [Fact]
    public void A_route_defined_twice_is_refused()
    {
        var options = new RouteTableOptions();
        options.Routes.Add(Define("shop", Priority.P0, "pay"));
        options.Routes.Add(Define("shop", Priority.P1, "pv"));

        Assert.Throws<ArgumentException>(() => new RouteTable(options));
    }

    [Fact]
    public void An_event_type_in_two_routes_is_refused()
    {
        var options = new RouteTableOptions();
        options.Routes.Add(Define("one", Priority.P0, "pay"));
        options.Routes.Add(Define("two", Priority.P1, "pv", "pay"));

        Assert.Throws<ArgumentException>(() => new RouteTable(options));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("with space")]
    [InlineData("a\\b")]
    [InlineData("路由")]
    public void An_invalid_route_name_is_refused(string name)
    {
        var options = new RouteTableOptions();
        options.Routes.Add(Define(name, Priority.P1, "pv"));

        Assert.Throws<ArgumentException>(() => new RouteTable(options));
    }

    [Theory]
    [InlineData("a/b", "beacon")]
    [InlineData("", "beacon")]
    [InlineData(null, "../x")]
    [InlineData(null, "with space")]
    public void A_topic_no_sink_could_write_to_is_refused_when_the_table_is_built(string? topic, string prefix)
    {
        // Route names are checked up front; the topics they lead to must be too, or every record
        // of the route fails later, at append time (SegmentFileSink.TopicDirectory refuses them).
        var options = new RouteTableOptions { TopicPrefix = prefix };
        var route = Define("shop", Priority.P1, "pv");
        route.Topic = topic;
        options.Routes.Add(route);

        Assert.Throws<ArgumentException>(() => new RouteTable(options));
    }

    [Fact]
    public void A_route_name_of_65_characters_is_refused_and_64_accepted()
    {
        var tooLong = new RouteTableOptions();
        tooLong.Routes.Add(Define(new string('r', 65), Priority.P1, "pv"));
        var longest = new RouteTableOptions();
        longest.Routes.Add(Define(new string('r', 64), Priority.P1, "pv"));

        Assert.Throws<ArgumentException>(() => new RouteTable(tooLong));
        Assert.Equal(new string('r', 64), new RouteTable(longest).Resolve(""u8, "pv"u8).Name);
    }

    [Fact]
    public void A_configured_event_type_of_128_bytes_resolves_from_utf8_as_from_chars()
    {
        var eventType = new string('e', 128);
        var options = new RouteTableOptions();
        options.Routes.Add(Define("long", Priority.P2, eventType));
        var table = new RouteTable(options);

        Assert.Equal("long", table.Resolve(""u8, Encoding.UTF8.GetBytes(eventType)).Name);
        Assert.Equal("long", table.Resolve("", eventType).Name);
    }

    [Theory]
    [InlineData(129)]
    [InlineData(0)]
    public void A_configured_event_type_that_records_could_never_match_is_refused_at_start_up(int length)
    {
        // Over 128 bytes, it would route pixels at the edge (from the URL) but never a decoded record.
        var options = new RouteTableOptions();
        options.Routes.Add(Define("long", Priority.P2, new string('e', length)));

        var error = Assert.Throws<ArgumentException>(() => new RouteTable(options));

        Assert.Contains("1-128 bytes", error.Message, StringComparison.Ordinal);
    }

    private static RouteDefinition Define(string name, Priority priority, params string[] events)
    {
        var route = new RouteDefinition { Name = name, Priority = priority };
        foreach (var e in events)
        {
            route.Events.Add(e);
        }

        return route;
    }
}
