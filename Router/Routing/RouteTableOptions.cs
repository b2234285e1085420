namespace Beacon.Router.Routing;

/// <summary>The route table: configuration, not code. Bound from <c>Beacon:Routing</c>.</summary>
public sealed class RouteTableOptions
{
    /// <summary>Topics are <c>{TopicPrefix}.p0</c> … <c>.p3</c> and <c>{TopicPrefix}.dlq</c>. Default "beacon".</summary>
    public string TopicPrefix { get; set; } = "beacon";

    /// <summary>The route of events no rule names. Default "default", priority P1.</summary>
    public string DefaultRoute { get; set; } = "default";

    /// <summary>The routes; when none are configured, <see cref="Defaults"/> apply.</summary>
    public IList<RouteDefinition> Routes { get; } = [];

    /// <summary>p0 order/pay, p1 page view/click, p2 exposure, p3 performance and technical logs.</summary>
    public static IReadOnlyList<RouteDefinition> Defaults { get; } =
    [
        Define("order", Priority.P0, "order", "pay", "refund"),
        Define("pageview", Priority.P1, "pv", "click", "leave"),
        Define("exposure", Priority.P2, "exp", "imp"),
        Define("perf", Priority.P3, "perf", "err", "crash", "tech"),
    ];

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
