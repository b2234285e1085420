namespace Beacon.Router.Routing;

/// <summary>A resolved route: where its events go and how much they matter.</summary>
public sealed record BusinessRoute(string Name, Priority Priority, string Topic)
{
    /// <summary>The route name as UTF-8, written into every record without re-encoding.</summary>
    public byte[] Utf8Name { get; } = System.Text.Encoding.UTF8.GetBytes(Name);
}
