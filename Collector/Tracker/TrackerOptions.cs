namespace Beacon.Collector.Tracker;

/// <summary>How <c>/beacon.js</c> is served. Bound from <c>Beacon:Tracker</c>.</summary>
public sealed class TrackerOptions
{
    /// <summary>
    /// How long browsers and CDNs may use the script without asking again (<c>Cache-Control: max-age</c>).
    /// Default 7 days; after that a revalidation with the ETag costs a 304. A new release reaches every
    /// page within this time.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);
}
