using System.Text;

namespace Beacon.Router.Rules;

/// <summary>
/// Which events a rule applies to: every listed dimension must match (a value in its list); a
/// dimension left out matches everything. Values are kept as UTF-8 so matching compares spans.
/// </summary>
public sealed class RuleScope
{
    private readonly byte[][] _apps, _platforms, _events;

    public RuleScope(
        IReadOnlyList<string>? apps = null,
        IReadOnlyList<string>? platforms = null,
        IReadOnlyList<string>? events = null,
        IReadOnlyList<string>? routes = null,
        SdkRange? sdk = null)
    {
        Apps = apps ?? [];
        Platforms = platforms ?? [];
        Events = events ?? [];
        Routes = routes ?? [];
        Sdk = sdk;
        _apps = Utf8(Apps);
        _platforms = Utf8(Platforms);
        _events = Utf8(Events);
    }

    public static RuleScope Everything { get; } = new();

    public IReadOnlyList<string> Apps { get; }

    public IReadOnlyList<string> Platforms { get; }

    public IReadOnlyList<string> Events { get; }

    /// <summary>Business route names (the route table's); compared with the resolved route.</summary>
    public IReadOnlyList<string> Routes { get; }

    public SdkRange? Sdk { get; }

    public bool Matches(ReadOnlySpan<byte> app, ReadOnlySpan<byte> platform, ReadOnlySpan<byte> eventType, string route, ReadOnlySpan<byte> sdk) =>
        In(_apps, app) && In(_platforms, platform) && In(_events, eventType)
        && (Routes.Count == 0 || Contains(Routes, route))
        && (Sdk is null || Sdk.Matches(sdk));

    /// <summary>
    /// Whether a client (app, platform, SDK) could send events this scope matches: what <c>/v1/config</c>
    /// hands that client. A dimension the client did not name is treated as "could match".
    /// </summary>
    public bool CanApplyTo(string? app, string? platform, string? sdk) =>
        (app is null || Apps.Count == 0 || Contains(Apps, app))
        && (platform is null || Platforms.Count == 0 || Contains(Platforms, platform))
        && (sdk is null || Sdk is null || Sdk.Matches(Encoding.UTF8.GetBytes(sdk)));

    private static bool In(byte[][] list, ReadOnlySpan<byte> value)
    {
        if (list.Length == 0)
        {
            return true;
        }

        foreach (var candidate in list)
        {
            if (value.SequenceEqual(candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static byte[][] Utf8(IReadOnlyList<string> values) => [.. values.Select(Encoding.UTF8.GetBytes)];
}
