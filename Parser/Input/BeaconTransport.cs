namespace Beacon.Parser.Input;

/// <summary>How a beacon reached the collector.</summary>
public enum BeaconTransport : byte
{
    /// <summary>A pixel GET/HEAD: parameters in the query string.</summary>
    Pixel = 0,

    /// <summary>A <c>navigator.sendBeacon</c> POST: the same parameters in the body.</summary>
    BeaconPost = 1,

    /// <summary>
    /// One event of a mobile SDK's <c>POST /v1/batch</c>: the edge turned its JSON into the same
    /// <c>k=v</c> parameters, batch-level fields first so the event's own win.
    /// </summary>
    Batch = 2,
}
