namespace Beacon.Router.Routing;

/// <summary>One business route as configured under <c>Beacon:Routing:Routes</c>.</summary>
public sealed class RouteDefinition
{
    /// <summary>The route's name; also what <c>/b/{route}.gif</c> names.</summary>
    public string Name { get; set; } = "";

    public Priority Priority { get; set; } = Priority.P1;

    /// <summary>Event types (<c>e</c>) that belong to this route when the URL names none.</summary>
    public IList<string> Events { get; } = [];

    /// <summary>The topic to write to; default: the topic of the route's priority.</summary>
    public string? Topic { get; set; }
}
