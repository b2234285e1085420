namespace Beacon.Collector.Admin;

/// <summary>The admin listener: metrics and health, never on the public port. Bound from <c>Beacon:Admin</c>.</summary>
public sealed class AdminOptions
{
    /// <summary>Where the admin listener binds. Default "http://*:9090" (keep it internal with a NetworkPolicy).</summary>
    public string Urls { get; set; } = "http://*:9090";

    /// <summary>
    /// Bearer tokens that may change the rules, by name (the name is what the audit log records):
    /// <c>Beacon:Admin:Tokens:alice=…</c>, from a Kubernetes Secret in production. With no token at all
    /// (here or in <see cref="ReadOnlyTokens"/>) the rules API answers loopback connections only.
    /// </summary>
    public IDictionary<string, string> Tokens { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Bearer tokens that may read the rules, their history and dry runs, but not change them (403).</summary>
    public IDictionary<string, string> ReadOnlyTokens { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
