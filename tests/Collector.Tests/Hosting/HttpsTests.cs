using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Beacon.Collector.Edge;

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
}
