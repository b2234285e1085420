namespace Beacon.Collector.Edge;

/// <summary>Why the edge refused a request outright (nothing was enqueued).</summary>
public enum EdgeRejection : byte
{
    /// <summary>414: the query string is over <see cref="EdgeOptions.MaxQueryBytes"/>.</summary>
    QueryTooLong = 0,

    /// <summary>413: the beacon body is over <see cref="EdgeOptions.MaxBodyBytes"/>.</summary>
    BodyTooLarge = 1,

    /// <summary>415: a beacon body that is not text/plain or form-urlencoded.</summary>
    UnsupportedMediaType = 2,
}
