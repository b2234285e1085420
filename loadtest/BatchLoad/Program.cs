using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

// batchload URL [--connections N] [--seconds S] [--events E] [--warmup S]
// Posts gzip batches of E events on N keep-alive connections for S seconds after the warm-up, printing
// "batch-load: warm-up done" when the timed run starts, then one line: "batch-load: requests=… accepted_events=… events_per_s=… p50_ms=… p99_ms=… non200=… errors=… client_cpu_s=…" (the client's own CPU during the timed run).
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: BatchLoad URL [--connections N] [--seconds S] [--events E] [--warmup S]");
    return 2;
}

var url = new Uri(args[0]);
var connections = Option("--connections", 32);
var seconds = Option("--seconds", 15);
var eventsPerBatch = Option("--events", 100);
var warmup = Option("--warmup", 3);

// A pool of distinct bodies (different devices, users, event mixes), compressed once up front so the
// client spends its CPU on HTTP, not on gzip.
var bodies = Enumerable.Range(0, 256).Select(b => Gzip(BatchJson(b, eventsPerBatch))).ToArray();
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseCookies = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
using var client = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };

if (warmup > 0)
{
    await RunAsync(TimeSpan.FromSeconds(warmup), record: false);
}

// The harness snapshots the collector's CPU here, so JIT and warm-up are not counted against the run.
Console.WriteLine("batch-load: warm-up done");
var cpuAtStart = Environment.CpuUsage.TotalTime;

var result = await RunAsync(TimeSpan.FromSeconds(seconds), record: true);
var latencies = result.Latencies;
latencies.Sort();
double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"batch-load: connections={connections} events_per_batch={eventsPerBatch} seconds={result.Elapsed.TotalSeconds:F2} requests={result.Requests} " +
    $"accepted_events={result.Accepted} events_per_s={result.Accepted / result.Elapsed.TotalSeconds:F0} " +
    $"p50_ms={Percentile(0.50):F2} p99_ms={Percentile(0.99):F2} non200={result.Non200} errors={result.Errors} " +
    $"warmup_accepted_events={Warm.Accepted} client_cpu_s={(Environment.CpuUsage.TotalTime - cpuAtStart).TotalSeconds:F2}"));
return 0;

async Task<RunResult> RunAsync(TimeSpan duration, bool record)
{
    var run = new RunResult();
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, connections).Select(async worker =>
    {
        var local = new List<double>();
        var n = worker;
        while (clock.Elapsed < duration)
        {
            var body = bodies[n++ % bodies.Length];
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            content.Headers.ContentEncoding.Add("gzip");
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.PostAsync("/v1/batch", content);
                var text = await response.Content.ReadAsByteArrayAsync();
                local.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref run.Requests);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    using var json = JsonDocument.Parse(text);
                    var accepted = json.RootElement.GetProperty("accepted").GetInt64();
                    Interlocked.Add(ref run.Accepted, accepted);
                    if (!record)
                    {
                        Interlocked.Add(ref Warm.Accepted, accepted);
                    }
                }
                else
                {
                    Interlocked.Increment(ref run.Non200);
                }
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref run.Errors);
            }
        }

        lock (run.Latencies)
        {
            run.Latencies.AddRange(local);
        }
    }));
    run.Elapsed = clock.Elapsed;
    return run;
}

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static string BatchJson(int b, int events)
{
    var json = new StringBuilder();
    json.Append(CultureInfo.InvariantCulture, $"{{\"app\":\"shop\",\"platform\":\"{(b % 2 == 0 ? "ios" : "android")}\",\"sdk\":{{\"name\":\"mobile\",\"version\":\"3.4.1\"}},");
    json.Append(CultureInfo.InvariantCulture, $"\"device_id\":\"{Guid.CreateVersion7():D}\",\"user_id\":\"user-{b}\",\"sent_at\":1763712000000,");
    json.Append("\"device\":{\"model\":\"Pixel 8\",\"os\":\"Android\",\"os_version\":\"15\"},\"events\":[");
    string[] types = ["pv", "click", "exp", "perf", "order"];
    for (var i = 0; i < events; i++)
    {
        json.Append(i == 0 ? "" : ",");
        json.Append(CultureInfo.InvariantCulture,
            $"{{\"event\":\"{types[i % types.Length]}\",\"time\":{1763711990000 + i},\"session_id\":\"s-{b}\",\"screen\":\"home\",\"item\":\"sku-{i}\",\"position\":{i}}}");
    }

    return json.Append("]}").ToString();
}

static byte[] Gzip(string json)
{
    using var output = new MemoryStream();
    using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
    {
        gzip.Write(Encoding.UTF8.GetBytes(json));
    }

    return output.ToArray();
}

/// <summary>Counts of one timed run.</summary>
internal sealed class RunResult
{
    public long Requests;
    public long Accepted;
    public long Non200;
    public long Errors;
    public TimeSpan Elapsed;
    public List<double> Latencies { get; } = [];
}

/// <summary>Events accepted during the warm-up: Kafka holds them too, so the accounting adds them.</summary>
internal static class Warm
{
    public static long Accepted;
}
