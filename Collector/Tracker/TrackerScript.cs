using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Beacon.Collector.Tracker;

/// <summary>
/// <c>GET /beacon.js</c>: the browser tracker (built from <c>tracker/src</c>, embedded in this assembly),
/// gzipped once at start-up, with a strong ETag (a hash of its bytes) so a revalidation costs a 304.
/// </summary>
public sealed class TrackerScript
{
    private const string ResourceName = "Beacon.Collector.Tracker.beacon.js";
    private readonly string _cacheControl;

    public TrackerScript(IOptions<TrackerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var stream = typeof(TrackerScript).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The tracker script {ResourceName} is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var script = copy.ToArray();
        Script = script;
        Gzipped = Gzip(script);
        ETag = "\"" + Convert.ToHexStringLower(SHA256.HashData(script).AsSpan(0, 12)) + "\"";
        _cacheControl = "public, max-age=" + ((long)options.Value.MaxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The script's bytes (UTF-8).</summary>
    public ReadOnlyMemory<byte> Script { get; }

    /// <summary>The script gzipped at the highest level: what most browsers download.</summary>
    public ReadOnlyMemory<byte> Gzipped { get; }

    /// <summary>The strong entity tag of the script, quotes included.</summary>
    public string ETag { get; }

    public Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var response = context.Response;
        var headers = response.Headers;
        headers.ETag = ETag;
        headers.CacheControl = _cacheControl;
        headers.Vary = HeaderNames.AcceptEncoding;
        if (Matches(request.Headers.IfNoneMatch))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        var gzip = AcceptsGzip(request.Headers.AcceptEncoding);
        var body = gzip ? Gzipped : Script;
        if (gzip)
        {
            headers.ContentEncoding = "gzip";
        }

        response.ContentType = "text/javascript; charset=utf-8";
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(request.Method) ? Task.CompletedTask : response.BodyWriter.WriteAsync(body).AsTask();
    }

    private bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch)
    {
        if (!EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        foreach (var tag in tags)
        {
            // If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
            if (tag.Equals(EntityTagHeaderValue.Any) || tag.Tag.AsSpan().SequenceEqual(ETag))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AcceptsGzip(Microsoft.Extensions.Primitives.StringValues acceptEncoding)
    {
        if (!StringWithQualityHeaderValue.TryParseList(acceptEncoding, out var codings))
        {
            return false;
        }

        foreach (var coding in codings)
        {
            if (coding.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && coding.Quality is not 0)
            {
                return true;
            }
        }

        return false;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }
}
