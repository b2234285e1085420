namespace Beacon.Collector.Admin;

/// <summary>What happens between SIGTERM and the server closing. Bound from <c>Beacon:Drain</c>.</summary>
public sealed class DrainOptions
{
    /// <summary>
    /// After SIGTERM, how long the collector keeps serving while reporting not-ready, so load
    /// balancers stop sending first. Default 0; in Kubernetes set it to a few seconds (k8s/ uses 10 s).
    /// </summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;
}
