namespace Beacon.Collector.Edge;

/// <summary>Which page origins may read the collector's answers. Bound from <c>Beacon:Cors</c>.</summary>
public sealed class CorsOptions
{
    /// <summary>
    /// Origins echoed back with credentials, e.g. <c>https://shop.example.com</c>, or <c>https://*.example.com</c>
    /// for every subdomain. Default none: no cross-origin <c>fetch</c> may read an answer (pixels and
    /// <c>sendBeacon</c> need no CORS and still work).
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>How long a browser may cache a preflight answer (<c>Access-Control-Max-Age</c>). Default 2 hours, Chromium's cap.</summary>
    public TimeSpan PreflightMaxAge { get; set; } = TimeSpan.FromHours(2);
}
