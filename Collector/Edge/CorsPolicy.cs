using System.Collections.Frozen;
using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Beacon.Collector.Edge;

/// <summary>
/// CORS for the tracker's <c>fetch</c> calls (<c>/b</c>, <c>/b/{route}</c>, <c>/v1/*</c>): an allow-listed
/// <c>Origin</c> is echoed with <c>Access-Control-Allow-Credentials: true</c> (the visitor cookie must
/// travel), preflights are answered here with 204 and cached. Any other origin gets no CORS headers,
/// so the browser keeps the answer from the page. Hand-rolled rather than ASP.NET's CORS middleware:
/// that one omits <c>Vary: Origin</c> for a single allowed origin and needs endpoint metadata for preflights.
/// </summary>
public sealed class CorsPolicy
{
    private const string AllowedMethods = "GET, POST";
    private const string AllowedHeaders = "Content-Type, Content-Encoding, X-Beacon-Anonymous";
    private const string ExposedHeaders = "X-Beacon-Config-Version, ETag";
    private readonly FrozenSet<string> _origins;
    private readonly (string Scheme, string Suffix)[] _wildcards;
    private readonly string _maxAge;

    public CorsPolicy(CorsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var exact = new List<string>();
        var wildcards = new List<(string, string)>();
        foreach (var origin in options.AllowedOrigins)
        {
            var trimmed = origin.Trim().TrimEnd('/');
            var star = trimmed.IndexOf("://*.", StringComparison.Ordinal);
            if (star > 0)
            {
                wildcards.Add((trimmed[..(star + 3)], trimmed[(star + 4)..])); // "https://", ".example.com"
            }
            else if (Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) && uri.AbsolutePath == "/")
            {
                exact.Add(trimmed);
            }
            else
            {
                throw new ArgumentException($"Beacon:Cors:AllowedOrigins: '{origin}' is not an origin (scheme://host[:port]).", nameof(options));
            }
        }

        _origins = exact.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        _wildcards = [.. wildcards];
        _maxAge = ((long)options.PreflightMaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Middleware: answers preflights, and adds the CORS headers to allowed requests.</summary>
    public Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var request = context.Request;
        if (!AppliesTo(request.Path))
        {
            return next(context);
        }

        var origin = request.Headers.Origin;
        var headers = context.Response.Headers;
        headers.Vary = "Origin";
        var allowed = origin.Count == 1 && IsAllowed(origin.ToString());
        if (allowed)
        {
            headers.AccessControlAllowOrigin = origin;
            headers.AccessControlAllowCredentials = "true";
        }

        if (HttpMethods.IsOptions(request.Method) && !StringValues.IsNullOrEmpty(request.Headers.AccessControlRequestMethod))
        {
            if (allowed)
            {
                headers.AccessControlAllowMethods = AllowedMethods;
                headers.AccessControlAllowHeaders = AllowedHeaders;
                headers.AccessControlMaxAge = _maxAge;
            }

            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }

        if (allowed)
        {
            headers.AccessControlExposeHeaders = ExposedHeaders;
        }

        return next(context);
    }

    internal static bool AppliesTo(PathString path) =>
        path.StartsWithSegments("/b") || path.StartsWithSegments("/v1");

    internal bool IsAllowed(string origin)
    {
        if (_origins.Contains(origin))
        {
            return true;
        }

        foreach (var (scheme, suffix) in _wildcards)
        {
            // "https://a.example.com" matches "https://*.example.com"; "https://evil-example.com" does not.
            if (origin.Length > scheme.Length + suffix.Length
                && origin.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
                && origin.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && !origin.AsSpan(scheme.Length, origin.Length - scheme.Length - suffix.Length).ContainsAny('/', ':'))
            {
                return true;
            }
        }

        return false;
    }
}
