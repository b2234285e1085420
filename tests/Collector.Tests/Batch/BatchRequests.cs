using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Beacon.Collector.Batch;

namespace Beacon.Collector.Tests.Batch;

/// <summary>Builds <c>/v1/batch</c> bodies and requests the way an SDK sends them.</summary>
internal static class BatchRequests
{
    public static string BatchJson(int events, string? batchId = null, string deviceId = "6f9619ff8b86d011b42d00c04fc964ff", int from = 0)
    {
        var json = new StringBuilder();
        json.Append("{\"app\":\"shop\",\"platform\":\"ios\",\"sdk\":{\"name\":\"ios\",\"version\":\"2.1.0\"},");
        json.Append("\"device_id\":\"").Append(deviceId).Append("\",\"user_id\":\"u-1\",\"sent_at\":1763712000000,");
        json.Append("\"device\":{\"model\":\"iPhone15,2\",\"os_version\":\"17.1\"},");
        if (batchId is not null)
        {
            json.Append("\"batch_id\":\"").Append(batchId).Append("\",");
        }

        json.Append("\"events\":[");
        for (var i = 0; i < events; i++)
        {
            json.Append(i == 0 ? "" : ",");
            json.Append("{\"event\":\"").Append(i % 2 == 0 ? "pv" : "click").Append("\",\"time\":").Append(1763711990000 + i)
                .Append(",\"n\":").Append(from + i).Append(",\"screen\":\"home\"}");
        }

        return json.Append("]}").ToString();
    }

    public static byte[] Encode(string json, string encoding) => Encode(Encoding.UTF8.GetBytes(json), encoding);

    public static byte[] Encode(byte[] body, string encoding)
    {
        if (encoding == "identity")
        {
            return body;
        }

        if (encoding == "zstd")
        {
            return Zstd.CompressFrame(body);
        }

        using var output = new MemoryStream();
        using (Stream compressor = encoding == "gzip"
                   ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)
                   : new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            compressor.Write(body);
        }

        return output.ToArray();
    }

    public static HttpRequestMessage Post(byte[] body, string encoding = "identity", string? batchId = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (encoding != "identity")
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batch") { Content = content };
        if (batchId is not null)
        {
            request.Headers.Add("X-Beacon-Batch-Id", batchId);
        }

        return request;
    }

    public static HttpRequestMessage Post(string json, string? batchId = null) => Post(Encoding.UTF8.GetBytes(json), "identity", batchId);

    public static async Task<(int Status, JsonElement Body)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        using (var response = await client.SendAsync(request))
        {
            var text = await response.Content.ReadAsStringAsync();
            return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
        }
    }
}
