using System.Net.Sockets;
using System.Text;

namespace Beacon.Collector.Tests.Hosting;

/// <summary>Sends a request exactly as written: HttpClient would re-escape a malformed target like <c>%zz</c>.</summary>
internal static class RawHttp
{
    /// <summary>Returns the status code and the whole response as text.</summary>
    public static async Task<(int Status, string Response)> GetAsync(Uri server, string target, string extraHeaders = "")
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        await using var stream = client.GetStream();
        var request = $"GET {target} HTTP/1.1\r\nHost: {server.Authority}\r\n{extraHeaders}Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var response = await reader.ReadToEndAsync();
        var status = int.Parse(response.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        return (status, response);
    }
}
