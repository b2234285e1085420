namespace Beacon.Collector.Edge;

/// <summary>The visitor-id cookie. Bound from <c>Beacon:Cookie</c>.</summary>
public sealed class VisitorCookieOptions
{
    /// <summary>Cookie name. Default "bid".</summary>
    public string Name { get; set; } = "bid";

    /// <summary>Cookie domain, e.g. ".example.com" to share it across subdomains. Default none (host only).</summary>
    public string? Domain { get; set; }

    /// <summary>Cookie lifetime. Default 365 days.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Send only over HTTPS. Default true (required by browsers for SameSite=None).</summary>
    public bool Secure { get; set; } = true;

    /// <summary>Hide from page scripts. Default true.</summary>
    public bool HttpOnly { get; set; } = true;

    /// <summary>SameSite attribute: None, Lax or Strict. Default None, so third-party pixels carry it.</summary>
    public string SameSite { get; set; } = "None";
}
