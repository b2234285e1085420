namespace Beacon.Collector.Admin;

/// <summary>The admin listener: metrics and health, never on the public port. Bound from <c>Beacon:Admin</c>.</summary>
public sealed class AdminOptions
{
    /// <summary>Where the admin listener binds. Default "http://*:9090" (keep it internal with a NetworkPolicy).</summary>
    public string Urls { get; set; } = "http://*:9090";
}
