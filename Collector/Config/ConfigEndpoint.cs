using System.Globalization;
using Beacon.Collector.Edge;
using Beacon.Router.Rules;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Beacon.Collector.Config;

/// <summary>
/// <c>GET /v1/config?app=&amp;platform=&amp;sdk=</c>: the rules that can apply to a client, so SDKs and
/// the tracker stop sending what would be sampled out or dropped, and keep back what is held. Also the
/// visitor id (the tracker cannot read the HttpOnly cookie) and a cookie for a new visitor.
/// </summary>
internal sealed class ConfigEndpoint(RuleBook book, VisitorCookie cookie, IOptions<RulesOptions> options)
{
    /// <summary>On every public response, so clients know when their rules are stale.</summary>
    public const string VersionHeader = "X-Beacon-Config-Version";

    private readonly int _maxAge = (int)options.Value.ClientMaxAge.TotalSeconds;
    private readonly string _cacheControl = $"private, max-age={(int)options.Value.ClientMaxAge.TotalSeconds}";

    public Task HandleAsync(HttpContext context)
    {
        var set = book.Current;
        var request = context.Request;
        var response = context.Response;
        response.Headers.ETag = set.ETag;
        response.Headers.CacheControl = _cacheControl;
        // The body holds the visitor id from the cookie: caches must key on it, as well as on the Origin CORS already added.
        response.Headers.Append(HeaderNames.Vary, HeaderNames.Cookie);
        if (request.Headers.IfNoneMatch.Contains(set.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        string? visitorId = null;
        if (request.Headers["X-Beacon-Anonymous"] != "1")
        {
            if (!cookie.TryRead(request.Headers.Cookie, out var id))
            {
                // The tracker's first-party id (vid) seeds the cookie, as on the pixel: one visitor, one id.
                if (!VisitorCookie.TryParseId(request.Query["vid"].ToString(), out id))
                {
                    id = VisitorCookie.NewId();
                }

                response.Headers.SetCookie = cookie.SetCookieHeader(id);
            }

            visitorId = id.ToString("N", CultureInfo.InvariantCulture);
        }

        var body = RuleSetJson.WriteClientView(set, Value(request, "app"), Value(request, "platform"), Value(request, "sdk"), visitorId, _maxAge);
        response.ContentType = "application/json";
        return response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>Adds the rules version to every public response (the pixel's included: fetch and SDKs can read it).</summary>
    public Task StampVersionAsync(HttpContext context, RequestDelegate next)
    {
        context.Response.Headers[VersionHeader] = book.Current.VersionText;
        return next(context);
    }

    private static string? Value(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value.ToString() : null;
}
