namespace Beacon.Parser.Input;

/// <summary>
/// One request exactly as the collector's edge saw it, as UTF-8 spans over the ring slot that
/// holds it. Nothing here is decoded or trusted yet.
/// </summary>
public readonly ref struct RawBeacon
{
    public RawBeacon(
        BeaconTransport transport,
        ReadOnlySpan<byte> query,
        ReadOnlySpan<byte> userAgent,
        ReadOnlySpan<byte> referer,
        ReadOnlySpan<byte> route,
        ReadOnlySpan<byte> clientAddress,
        long receivedAtMs,
        Guid visitorId)
    {
        Transport = transport;
        Query = query;
        UserAgent = userAgent;
        Referer = referer;
        Route = route;
        ClientAddress = clientAddress;
        ReceivedAtMs = receivedAtMs;
        VisitorId = visitorId;
    }

    public BeaconTransport Transport { get; }

    /// <summary><c>k=v&amp;…</c> still percent-encoded: the pixel's query string without '?', or a beacon POST body.</summary>
    public ReadOnlySpan<byte> Query { get; }

    public ReadOnlySpan<byte> UserAgent { get; }

    /// <summary>The HTTP Referer header: the page that fired the pixel.</summary>
    public ReadOnlySpan<byte> Referer { get; }

    /// <summary>The business route named in the URL (<c>/b/{route}.gif</c>), empty when none.</summary>
    public ReadOnlySpan<byte> Route { get; }

    /// <summary>The client address as text, as the edge resolved it.</summary>
    public ReadOnlySpan<byte> ClientAddress { get; }

    /// <summary>Server receive time, Unix milliseconds.</summary>
    public long ReceivedAtMs { get; }

    /// <summary>The visitor id from the collector's cookie (issued by the edge when absent or malformed); empty when anonymous.</summary>
    public Guid VisitorId { get; }

    /// <summary>The <c>X-Forwarded-For</c> header, believed only from a trusted proxy.</summary>
    public ReadOnlySpan<byte> ForwardedFor { get; init; }

    /// <summary>The RFC 7239 <c>Forwarded</c> header, believed only from a trusted proxy.</summary>
    public ReadOnlySpan<byte> Forwarded { get; init; }

    /// <summary>The client asked for anonymous mode: no visitor id, no address.</summary>
    public bool Anonymous { get; init; }
}
