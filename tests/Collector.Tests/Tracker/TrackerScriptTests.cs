using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Beacon.Collector.Tests.Hosting;
using Beacon.Collector.Tracker;

namespace Beacon.Collector.Tests.Tracker;

public sealed class TrackerScriptTests
{
    /// <summary>The budget of issue 7: what a page downloads, minified and gzipped.</summary>
    private const int GzipBudgetBytes = 4096;

    [Fact]
    public async Task The_script_is_served_with_a_strong_etag_and_long_lived_caching()
    {
        await using var host = await CollectorHost.StartAsync();

        using var response = await host.Client.GetAsync("/beacon.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        var etag = response.Headers.ETag!;
        Assert.False(etag.IsWeak);
        Assert.Matches("^\"[0-9a-f]{24}\"$", etag.Tag);
        Assert.Equal("public, max-age=604800", response.Headers.CacheControl?.ToString());
        var script = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("/*! Beacon tracker", script, StringComparison.Ordinal);
        Assert.Contains("/v1/config", script, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_revalidation_with_the_etag_gets_304_without_a_body(bool weak)
    {
        await using var host = await CollectorHost.StartAsync();
        using var first = await host.Client.GetAsync("/beacon.js");
        var etag = first.Headers.ETag!.Tag;

        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon.js");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"other\""));
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag, weak));
        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, response.Headers.ETag?.Tag);
        Assert.Equal("public, max-age=604800", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task An_outdated_etag_gets_the_script()
    {
        await using var host = await CollectorHost.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon.js");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"0123456789abcdef01234567\""));
        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_browser_that_accepts_gzip_gets_the_gzipped_script_within_the_4_KiB_budget()
    {
        await using var host = await CollectorHost.StartAsync();
        using var plain = await host.Client.GetAsync("/beacon.js");
        var script = await plain.Content.ReadAsByteArrayAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon.js");
        request.Headers.AcceptEncoding.ParseAdd("gzip, deflate, br");
        using var response = await host.Client.SendAsync(request);
        var gzipped = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        Assert.InRange(gzipped.Length, 1, GzipBudgetBytes);
        Assert.Equal(gzipped.Length, response.Content.Headers.ContentLength);
        using var unzip = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress);
        using var unzipped = new MemoryStream();
        await unzip.CopyToAsync(unzipped);
        Assert.Equal(script, unzipped.ToArray());
    }

    [Fact]
    public void The_embedded_script_is_minified_and_within_budget()
    {
        var script = new TrackerScript(Microsoft.Extensions.Options.Options.Create(new TrackerOptions()));

        Assert.InRange(script.Gzipped.Length, 1, GzipBudgetBytes);
        Assert.Equal(2, script.Script.Span.Count((byte)'\n')); // minified: the banner line and one line of code
    }
}
