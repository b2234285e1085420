namespace Beacon.Router.Routing;

/// <summary>How much a business cares about a log. Lower is more important; P3 is shed first.</summary>
public enum Priority : byte
{
    /// <summary>Orders and payments: never shed.</summary>
    P0 = 0,

    /// <summary>Page views and clicks (and anything unrouted).</summary>
    P1 = 1,

    /// <summary>Exposure / impression logs.</summary>
    P2 = 2,

    /// <summary>Performance and technical logs: sampled and shed first.</summary>
    P3 = 3,
}
