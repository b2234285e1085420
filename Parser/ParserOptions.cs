namespace Beacon.Parser;

/// <summary>Limits the decoder enforces per record. Bound from <c>Beacon:Parser</c>.</summary>
public sealed class ParserOptions
{
    /// <summary>Longest decoded value, in bytes; a longer one rejects the record. Default 4096.</summary>
    public int MaxValueBytes { get; set; } = 4096;

    /// <summary>Most custom properties (unknown parameters) per record; more rejects the record. Default 64.</summary>
    public int MaxProperties { get; set; } = 64;

    /// <summary>
    /// Proxies and load balancers (addresses or CIDR networks) whose <c>X-Forwarded-For</c> /
    /// <c>Forwarded</c> headers are believed. Default none: the socket's address is the client's.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>Low bits of an IPv4 client address set to zero before it is written. Default 8 (a /24); 0 keeps it whole.</summary>
    public int AnonymizeIPv4Bits { get; set; } = 8;

    /// <summary>Low bits of an IPv6 client address set to zero before it is written. Default 80 (a /48); 0 keeps it whole.</summary>
    public int AnonymizeIPv6Bits { get; set; } = 80;

    /// <summary>
    /// Most distinct User-Agents whose parsed form is kept, in entries (at least 2). Default 10,000:
    /// a few MB, and far more than the distinct User-Agents of a typical hour.
    /// </summary>
    public int UserAgentCacheSize { get; set; } = 10_000;

    /// <summary>
    /// Most User-Agents a second parsed that are not in the cache: a miss runs ua-parser's rules (0.1–0.3 ms),
    /// so a flood of made-up User-Agents could otherwise stall the pipeline. Past it a record keeps its raw
    /// <c>user_agent</c> but no parsed <c>ua</c> object, and is counted (<c>beacon_user_agents_unparsed_total</c>);
    /// the User-Agent is parsed when it comes again within the budget. Default 2000; 0 = no limit.
    /// </summary>
    public int UserAgentMissesPerSecond { get; set; } = 2000;

    /// <summary>
    /// Per-parameter limits by name (<c>Beacon:Parser:Fields:u:MaxBytes=8192</c>,
    /// <c>Beacon:Parser:Fields:u:Truncate=true</c>): a longer limit, or truncation instead of rejection.
    /// </summary>
    public IDictionary<string, FieldLimit> Fields { get; } = new Dictionary<string, FieldLimit>(StringComparer.Ordinal);

    /// <summary>Reject events whose type is not in <see cref="EventTypes"/> (<c>unknown_event_type</c>). Default off: any type is routed.</summary>
    public bool StrictEventTypes { get; set; }

    /// <summary>
    /// The event types accepted when <see cref="StrictEventTypes"/> is on; empty (the default) means
    /// <see cref="DefaultEventTypes"/>, the catalogue of docs/protocol.md §4.
    /// </summary>
    public IList<string> EventTypes { get; } = [];

    /// <summary>The catalogue's event types: page view, click, exposure, page leave, performance, error, crash, commerce, custom.</summary>
    public static IReadOnlyList<string> DefaultEventTypes { get; } =
        ["pv", "click", "exp", "imp", "leave", "perf", "err", "crash", "tech", "order", "pay", "refund", "custom"];
}
