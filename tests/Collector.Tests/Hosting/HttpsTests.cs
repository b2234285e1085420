using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Beacon.Collector.Edge;
using Beacon.Collector.Hosting;
using Beacon.Collector.Tests.Batch;
using Beacon.Router.Segments;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>A direct HTTPS endpoint with a certificate from configuration, speaking HTTP/2.</summary>
public sealed class HttpsTests : IDisposable
{
    private const string Password = "beacon-test";
    private readonly string _certificatePath = Path.Combine(Path.GetTempPath(), $"beacon-{Guid.NewGuid():N}.pfx");
    private readonly X509Certificate2 _certificate;

    public HttpsTests()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(_certificatePath, _certificate.Export(X509ContentType.Pfx, Password));
    }

    public void Dispose()
    {
        _certificate.Dispose();
        File.Delete(_certificatePath);
    }

    [Fact]
    public async Task A_pixel_over_https_with_http2_gets_its_gif_and_lands()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Http:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:Https:Url"] = "https://127.0.0.1:0",
            ["Kestrel:Endpoints:Https:Protocols"] = "Http1AndHttp2",
            ["Kestrel:Endpoints:Https:Certificate:Path"] = _certificatePath,
            ["Kestrel:Endpoints:Https:Certificate:Password"] = Password,
        });
        var https = host.Addresses.Single(static a => a.Scheme == Uri.UriSchemeHttps);
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString();
        using var client = new HttpClient(handler) { BaseAddress = https };

        using var request = new HttpRequestMessage(HttpMethod.Get, "/b.gif?e=pv&n=tls")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await client.SendAsync(request);
        await host.StopAsync();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TransparentGif.Bytes.ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("tls", Assert.Single(host.ReadTopic("beacon.p1")).GetProperty("props").GetProperty("n").GetString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_collector_process_as_shipped_answers_pixels_and_batches_over_https(int httpVersion)
    {
        // The real process runs requests inline on the sockets' event threads (InlineScheduling): TLS
        // handshakes and HTTP/2's framing run there too, so each connection here is a new handshake.
        var dataDirectory = Path.Combine(Path.GetTempPath(), "beacon-tests", Guid.NewGuid().ToString("N"));
        try
        {
            using var collector = await CollectorProcess.StartAsync(
                new Dictionary<string, string?> { [InlineScheduling.EnvironmentVariable] = null },
                "--Beacon:DataDirectory=" + dataDirectory,
                "--Kestrel:Endpoints:Https:Url=https://127.0.0.1:0",
                "--Kestrel:Endpoints:Https:Protocols=Http1AndHttp2",
                "--Kestrel:Endpoints:Https:Certificate:Path=" + _certificatePath,
                "--Kestrel:Endpoints:Https:Certificate:Password=" + Password);
            Assert.Equal(Uri.UriSchemeHttps, collector.Address.Scheme);
            var version = httpVersion == 2 ? HttpVersion.Version20 : HttpVersion.Version11;
            var batch = BatchRequests.Encode(BatchRequests.BatchJson(100), "gzip");

            await Task.WhenAll(Enumerable.Range(0, 8).Select(async connection =>
            {
                using var handler = new SocketsHttpHandler { UseCookies = false };
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString();
                using var client = new HttpClient(handler) { BaseAddress = collector.Address, DefaultRequestVersion = version, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
                for (var i = 0; i < 50; i++)
                {
                    using var pixel = await client.GetAsync($"/b.gif?e=pv&n={connection}-{i}");
                    Assert.Equal(HttpStatusCode.OK, pixel.StatusCode);
                    Assert.Equal(version, pixel.Version);
                }

                var post = BatchRequests.Post(batch, "gzip");
                post.Version = version;
                post.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
                var (status, answer) = await BatchRequests.SendAsync(client, post);
                Assert.True(status == 200, answer.ToString());
            }));

            collector.Terminate();
            await collector.WaitForExitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(0, collector.ExitCode);
            Assert.Equal((8 * 50) + (8 * 100), RecordsIn(dataDirectory));
        }
        finally
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    private static int RecordsIn(string dataDirectory)
    {
        var records = 0;
        foreach (var topic in Directory.EnumerateDirectories(dataDirectory, "beacon.*"))
        {
            using var cursor = new SegmentCursor(topic);
            while (cursor.TryRead(out _))
            {
                records++;
            }
        }

        return records;
    }
}
