using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using Beacon.Collector.Buffering;
using Beacon.Parser.Input;
using Beacon.Router.Routing;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Edge;

/// <summary>
/// The public edge: <c>GET|HEAD /b.gif</c>, <c>GET /b/{route}.gif</c> and the <c>POST /b</c> of
/// <c>navigator.sendBeacon</c>. It answers at once and copies the raw request into the ring; it
/// never waits for parsing or the sink.
/// </summary>
public sealed class PixelEndpoint(
    BeaconRing ring,
    RouteTable routes,
    VisitorCookie cookie,
    EdgeCounters counters,
    IOptions<EdgeOptions> options,
    TimeProvider time)
{
    private const string NoCache = "no-cache, no-store, must-revalidate";
    private readonly EdgeOptions _options = options.Value;

    public Task HandlePixelAsync(HttpContext context)
    {
        var request = context.Request;
        var query = request.QueryString.Value.AsSpan();
        if (!query.IsEmpty)
        {
            query = query[1..];
        }

        if (query.Length > _options.MaxQueryBytes
            || (query.Length * 3 > _options.MaxQueryBytes && Encoding.UTF8.GetByteCount(query) > _options.MaxQueryBytes))
        {
            return RejectAsync(context, StatusCodes.Status414UriTooLong, EdgeRejection.QueryTooLong,
                $"The query string is over the {_options.MaxQueryBytes}-byte limit; send large events with POST /b.");
        }

        var routeName = context.GetRouteValue("route") as string;
        var route = routes.Resolve(routeName, PeekParameter(query, "e"));
        Enqueue(context, route.Priority, BeaconTransport.Pixel, query, ReadOnlySequence<byte>.Empty, routeName);


        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "image/gif";
        response.ContentLength = TransparentGif.Bytes.Length;
        response.Headers.CacheControl = NoCache;
        if (HttpMethods.IsHead(request.Method))
        {
            return Task.CompletedTask;
        }

        var write = response.BodyWriter.WriteAsync(TransparentGif.Bytes);
        return write.IsCompletedSuccessfully ? Task.CompletedTask : write.AsTask();
    }

    public async Task HandleBeaconPostAsync(HttpContext context)
    {
        var request = context.Request;
        if (!IsBeaconMediaType(request.ContentType))
        {
            await RejectAsync(context, StatusCodes.Status415UnsupportedMediaType, EdgeRejection.UnsupportedMediaType,
                "A beacon body is text/plain or application/x-www-form-urlencoded (k=v&...).");
            return;
        }

        if (request.ContentLength > _options.MaxBodyBytes)
        {
            await RejectAsync(context, StatusCodes.Status413PayloadTooLarge, EdgeRejection.BodyTooLarge, BodyTooLargeMessage());
            return;
        }

        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            var body = read.Buffer;
            if (body.Length > _options.MaxBodyBytes)
            {
                reader.AdvanceTo(body.End);
                await RejectAsync(context, StatusCodes.Status413PayloadTooLarge, EdgeRejection.BodyTooLarge, BodyTooLargeMessage());
                return;
            }

            if (read.IsCompleted)
            {
                EnqueueBody(context, body);
                reader.AdvanceTo(body.End);
                break;
            }

            reader.AdvanceTo(body.Start, body.End);
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        context.Response.Headers.CacheControl = NoCache;
    }

    private void EnqueueBody(HttpContext context, in ReadOnlySequence<byte> body)
    {
        // The edge only needs a priority hint; an 'e' past the first buffer segment defaults to the route table's default.
        var routeName = context.GetRouteValue("route") as string;
        var route = (routeName is null ? null : routes.FindByName(routeName))
            ?? routes.Resolve(ReadOnlySpan<byte>.Empty, PeekParameter(body.FirstSpan, "e"u8));
        var query = context.Request.QueryString.Value.AsSpan();
        Enqueue(context, route.Priority, BeaconTransport.BeaconPost, query.IsEmpty ? query : query[1..], body, routeName);
    }

    private void Enqueue(
        HttpContext context,
        Priority priority,
        BeaconTransport transport,
        ReadOnlySpan<char> query,
        in ReadOnlySequence<byte> body,
        string? routeName)
    {
        var anonymous = IsAnonymous(context, query, body);
        var visitorId = anonymous ? Guid.Empty : ResolveVisitor(context, query, body);
        if (!ring.TryClaim(priority, out var claim))
        {
            return; // shed and counted by the ring; a pixel still gets its GIF
        }

        try
        {
            var slot = claim.Slot;
            var headers = context.Request.Headers;
            slot.Begin(transport, time.GetUtcNow().ToUnixTimeMilliseconds(), visitorId, anonymous);
            slot.WriteQuery(query, body);
            slot.WriteContext(headers.UserAgent.ToString(), headers.Referer.ToString(), routeName, context.Connection.RemoteIpAddress,
                headers["X-Forwarded-For"].ToString(), headers["Forwarded"].ToString());
        }
        finally
        {
            ring.Publish(claim);
        }
    }

    /// <summary>
    /// Anonymous mode: <c>X-Beacon-Anonymous: 1</c> or <c>anon=1</c>. The visitor cookie is neither
    /// read nor set, and the record keeps no visitor id and no address.
    /// </summary>
    private static bool IsAnonymous(HttpContext context, ReadOnlySpan<char> query, in ReadOnlySequence<byte> body) =>
        context.Request.Headers["X-Beacon-Anonymous"] == "1"
        || PeekParameter(query, "anon").SequenceEqual("1")
        || PeekParameter(body.FirstSpan, "anon"u8).SequenceEqual("1"u8);

    /// <summary>
    /// The cookie's id; else the tracker's first-party id (<c>vid</c>, for browsers that block the
    /// collector's cookie), which then also seeds the new cookie so both ids agree; else a new id.
    /// </summary>
    private Guid ResolveVisitor(HttpContext context, ReadOnlySpan<char> query, in ReadOnlySequence<byte> body)
    {
        if (cookie.TryRead(context.Request.Headers.Cookie, out var visitorId))
        {
            return visitorId;
        }

        if (!VisitorCookie.TryParseId(PeekParameter(query, "vid"), out visitorId)
            && !VisitorCookie.TryParseId(PeekParameter(body.FirstSpan, "vid"u8), out visitorId))
        {
            visitorId = VisitorCookie.NewId();
        }

        context.Response.Headers.SetCookie = cookie.SetCookieHeader(visitorId);
        return visitorId;
    }

    private Task RejectAsync(HttpContext context, int status, EdgeRejection reason, string message)
    {
        counters.Count(reason);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers.CacheControl = NoCache;
        return response.WriteAsync(message + "\n");
    }

    private string BodyTooLargeMessage() =>
        $"The beacon body is over the {_options.MaxBodyBytes}-byte limit; send fewer events per beacon.";

    private static bool IsBeaconMediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return true; // sendBeacon with an ArrayBuffer sends no type
        }

        return MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            && parsed.MediaType is { } mediaType
            && (mediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase)
                || mediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The still-encoded value of the first <c>name=</c> parameter, e.g. <c>e</c> to pick a priority before parsing.</summary>
    internal static ReadOnlySpan<char> PeekParameter(ReadOnlySpan<char> query, ReadOnlySpan<char> name) =>
        Peek(query, name, '=', '&');

    /// <inheritdoc cref="PeekParameter(ReadOnlySpan{char}, ReadOnlySpan{char})"/>
    internal static ReadOnlySpan<byte> PeekParameter(ReadOnlySpan<byte> body, ReadOnlySpan<byte> name) =>
        Peek(body, name, (byte)'=', (byte)'&');

    private static ReadOnlySpan<T> Peek<T>(ReadOnlySpan<T> query, ReadOnlySpan<T> name, T equals, T ampersand)
        where T : IEquatable<T>
    {
        while (!query.IsEmpty)
        {
            var end = query.IndexOf(ampersand);
            var pair = end < 0 ? query : query[..end];
            if (pair.Length > name.Length && pair.StartsWith(name) && pair[name.Length].Equals(equals))
            {
                return pair[(name.Length + 1)..];
            }

            query = end < 0 ? default : query[(end + 1)..];
        }

        return default;
    }
}
