using System.Collections.Frozen;
using System.Text;

namespace Beacon.Router.Routing;

/// <summary>
/// Maps a request to its business route: the route the URL names wins, then the event type, then
/// the default route. Built once from configuration; look-ups allocate nothing.
/// </summary>
public sealed class RouteTable
{
    private const int MaxStackName = 128;
    private readonly FrozenDictionary<string, BusinessRoute>.AlternateLookup<ReadOnlySpan<char>> _byName;
    private readonly FrozenDictionary<string, BusinessRoute>.AlternateLookup<ReadOnlySpan<char>> _byEvent;

    public RouteTable(RouteTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        IEnumerable<RouteDefinition> definitions = options.Routes.Count > 0 ? options.Routes : RouteTableOptions.Defaults;
        var byName = new Dictionary<string, BusinessRoute>(StringComparer.Ordinal);
        var byEvent = new Dictionary<string, BusinessRoute>(StringComparer.Ordinal);
        foreach (var definition in definitions)
        {
            if (!TopicNames.IsValid(definition.Name))
            {
                throw new ArgumentException($"Route name '{definition.Name}' must be 1-64 characters of [A-Za-z0-9._-].", nameof(options));
            }

            var route = new BusinessRoute(definition.Name, definition.Priority, CheckedTopic(definition.Topic ?? TopicOf(options.TopicPrefix, definition.Priority)));
            if (!byName.TryAdd(route.Name, route))
            {
                throw new ArgumentException($"Route '{route.Name}' is defined twice.", nameof(options));
            }

            foreach (var e in definition.Events)
            {
                // Records carry the event type as UTF-8, matched through a stack buffer of this size.
                if (Encoding.UTF8.GetByteCount(e) is 0 or > MaxStackName)
                {
                    throw new ArgumentException($"Event type '{e}' of route '{route.Name}' must be 1-{MaxStackName} bytes of UTF-8.", nameof(options));
                }

                if (!byEvent.TryAdd(e, route))
                {
                    throw new ArgumentException($"Event type '{e}' belongs to both '{byEvent[e].Name}' and '{route.Name}'.", nameof(options));
                }
            }
        }

        Default = byName.GetValueOrDefault(options.DefaultRoute)
            ?? new BusinessRoute(options.DefaultRoute, Priority.P1, CheckedTopic(TopicOf(options.TopicPrefix, Priority.P1)));
        DeadLetterTopic = CheckedTopic($"{options.TopicPrefix}.dlq");
        ConfigTopic = CheckedTopic($"{options.TopicPrefix}.config");
        Routes = [.. byName.Values.Append(Default).Distinct()];
        _byName = byName.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _byEvent = byEvent.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Dead letters are kept, but a full spool sheds them before page views.</summary>
    public const Priority DeadLetterPriority = Priority.P2;

    /// <summary>The route name dead-letter records carry in sink headers.</summary>
    public const string DeadLetterRoute = "dead_letter";

    /// <summary>Where rejected records go, with their reason and raw input.</summary>
    public string DeadLetterTopic { get; }

    /// <summary>The compacted topic holding every version of the SRE rules (one partition).</summary>
    public string ConfigTopic { get; }

    /// <summary>Where events no route claims go.</summary>
    public BusinessRoute Default { get; }

    /// <summary>Every route, the default included.</summary>
    public IReadOnlyList<BusinessRoute> Routes { get; }

    /// <summary>Every topic a record can be written to.</summary>
    public IEnumerable<string> Topics => Routes.Select(static r => r.Topic).Append(DeadLetterTopic).Distinct();

    public static string TopicOf(string prefix, Priority priority) => $"{prefix}.p{(int)priority}";

    /// <summary>A topic every sink can write to, or a start-up error rather than records lost later.</summary>
    private static string CheckedTopic(string topic) =>
        TopicNames.IsValid(topic)
            ? topic
            : throw new ArgumentException($"Topic '{topic}' must be 1-64 characters of [A-Za-z0-9._-].", nameof(topic));

    /// <summary>The route a URL names, or null when it names none the table knows.</summary>
    public BusinessRoute? FindByName(ReadOnlySpan<char> name) =>
        _byName.TryGetValue(name, out var route) ? route : null;

    /// <summary>Resolves a route from UTF-8 route and event names (as the parser produced them).</summary>
    public BusinessRoute Resolve(ReadOnlySpan<byte> routeName, ReadOnlySpan<byte> eventType)
    {
        Span<char> chars = stackalloc char[MaxStackName];
        if (TryLookup(_byName, routeName, chars, out var route) || TryLookup(_byEvent, eventType, chars, out route))
        {
            return route;
        }

        return Default;
    }

    /// <summary>Resolves a route from the URL's route name and the still-encoded event type, at the edge.</summary>
    public BusinessRoute Resolve(ReadOnlySpan<char> routeName, ReadOnlySpan<char> eventType)
    {
        if (_byName.TryGetValue(routeName, out var route) || _byEvent.TryGetValue(eventType, out route))
        {
            return route;
        }

        return Default;
    }

    private static bool TryLookup(
        FrozenDictionary<string, BusinessRoute>.AlternateLookup<ReadOnlySpan<char>> lookup,
        ReadOnlySpan<byte> utf8,
        Span<char> chars,
        out BusinessRoute route)
    {
        route = null!;
        if (utf8.IsEmpty || utf8.Length > chars.Length)
        {
            return false;
        }

        var length = Encoding.UTF8.GetChars(utf8, chars);
        return lookup.TryGetValue(chars[..length], out route!);
    }
}
