namespace Beacon.Parser.Enrichment;

/// <summary>What kind of client sent a beacon, from its User-Agent (<see cref="UserAgentParser"/> says how).</summary>
public enum DeviceClass
{
    /// <summary>None of the others: TVs, consoles, watches, headsets, or a User-Agent that names no platform.</summary>
    Other,
    Desktop,
    Mobile,
    Tablet,

    /// <summary>A crawler, a script or a headless browser.</summary>
    Bot,
}
