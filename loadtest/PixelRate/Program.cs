using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

// PixelRate HOST:PORT RATE [--connections C] [--seconds S] [--warmup S] [--tag T]
// Sends GET pixels at a fixed total RATE (requests/s) spread over C keep-alive connections, one
// thread each: connection j's k-th request is due at t0 + (k·C + j) / RATE whatever happened before
// (open loop, like wrk2). Latency runs from that due time to the end of the answer, so when an answer
// is late the requests queued behind it count their wait too (no coordinated omission). The client's
// own lateness (actual send − due time) is reported separately. Prints one line:
// "pixel-rate: rate=… sent=… ok=… non2xx=… errors=… achieved_per_s=… p50_ms=… p90_ms=… p99_ms=… p999_ms=… max_ms=… send_late_p99_ms=…".
// Pixels carry n=<tag><j>-<k> (unique), so the harness's accounting can count them.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: PixelRate HOST:PORT RATE [--connections C] [--seconds S] [--warmup S] [--tag T]");
    return 2;
}

var endpoint = args[0].Split(':');
var rate = double.Parse(args[1], CultureInfo.InvariantCulture);
var connections = (int)Option("--connections", 32);
var seconds = Option("--seconds", 15);
var warmup = Option("--warmup", 2);
var tag = OptionText("--tag", "r");

// Timer slack 1 ns: nanosleep then wakes within ~10 µs instead of the default 50 µs.
_ = Native.prctl(29 /* PR_SET_TIMERSLACK */, 1, 0, 0, 0);

var userAgents = new[]
{
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
};
var events = new[] { "pv", "click", "exp", "pv", "click" };

var totalSeconds = warmup + seconds;
var ticksPerRequest = Stopwatch.Frequency * connections / rate; // per connection
var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 10);
var measureFrom = start + (long)(warmup * Stopwatch.Frequency);
var results = new Result[connections];
var threads = Enumerable.Range(0, connections).Select(j => new Thread(() => results[j] = Run(j)) { IsBackground = true }).ToList();
threads.ForEach(static t => t.Start());
threads.ForEach(static t => t.Join());

var latencies = Histogram.Merge(results.Select(static r => r.Latencies));
var late = Histogram.Merge(results.Select(static r => r.Late));
var sent = results.Sum(static r => r.Sent);
var ok = results.Sum(static r => r.Ok);
double Ms(Histogram h, double q) => h.Quantile(q) / 1000.0;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"pixel-rate: rate={rate:F0} connections={connections} seconds={seconds:F0} warmup={warmup:F0} sent={sent} ok={ok} " +
    $"non2xx={results.Sum(static r => r.Non2xx)} errors={results.Sum(static r => r.Errors)} measured={latencies.Count} " +
    $"achieved_per_s={latencies.Count / seconds:F0} p50_ms={Ms(latencies, 0.50):F3} p90_ms={Ms(latencies, 0.90):F3} " +
    $"p99_ms={Ms(latencies, 0.99):F3} p999_ms={Ms(latencies, 0.999):F3} max_ms={Ms(latencies, 1):F3} " +
    $"send_late_p50_ms={Ms(late, 0.50):F3} send_late_p99_ms={Ms(late, 0.99):F3}"));
return 0;

Result Run(int j)
{
    var result = new Result();
    var buffer = new byte[8192];
    var end = start + (long)(totalSeconds * Stopwatch.Frequency);
    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    socket.Connect(endpoint[0], int.Parse(endpoint[1], CultureInfo.InvariantCulture));
    for (long k = 0; ; k++)
    {
        var due = start + (long)(((k * connections) + j) * ticksPerRequest / connections);
        if (due >= end)
        {
            break;
        }

        SleepUntil(due);
        var request = Request(j, k);
        var sentAt = Stopwatch.GetTimestamp();
        result.Sent++;
        try
        {
            socket.Send(request);
            var status = ReadResponse(socket, buffer);
            var done = Stopwatch.GetTimestamp();
            if (status is >= 200 and < 300)
            {
                result.Ok++;
            }
            else
            {
                result.Non2xx++;
            }

            if (due >= measureFrom)
            {
                result.Latencies.Add((done - due) * 1_000_000 / Stopwatch.Frequency);
                result.Late.Add((sentAt - due) * 1_000_000 / Stopwatch.Frequency);
            }
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            result.Errors++;
            break;
        }
    }

    return result;
}

byte[] Request(int j, long k)
{
    var e = events[(int)(k % events.Length)];
    var ua = userAgents[(int)((k + j) % userAgents.Length)];
    var text = string.Create(CultureInfo.InvariantCulture,
        $"GET /b.gif?e={e}&a=shop&p=web&u=https%3A%2F%2Fshop.example.com%2Fitem%2F{k % 5000}%3Fref%3Dhome&t=1700000000000&uid=u-{j}&sid=s-{k % 97}&spm=a.b.c.{k % 9}&n={tag}{j}-{k + 1} HTTP/1.1\r\n" +
        $"Host: 127.0.0.1\r\nUser-Agent: {ua}\r\nReferer: https://shop.example.com/\r\nCookie: bid=0123456789abcdef0123456789ab{j:x4}\r\n\r\n");
    return Encoding.ASCII.GetBytes(text);
}

static int ReadResponse(Socket socket, byte[] buffer)
{
    var filled = 0;
    int headerEnd;
    while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
    {
        var n = socket.Receive(buffer, filled, buffer.Length - filled, SocketFlags.None);
        if (n == 0)
        {
            throw new IOException("closed");
        }

        filled += n;
    }

    var head = Encoding.ASCII.GetString(buffer, 0, headerEnd);
    var status = int.Parse(head.AsSpan(9, 3), CultureInfo.InvariantCulture);
    var length = 0;
    foreach (var line in head.Split("\r\n"))
    {
        if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
        {
            length = int.Parse(line.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
        }
    }

    var body = filled - (headerEnd + 4);
    while (body < length)
    {
        var n = socket.Receive(buffer, 0, Math.Min(buffer.Length, length - body), SocketFlags.None);
        if (n == 0)
        {
            throw new IOException("closed");
        }

        body += n;
    }

    return status;
}

static void SleepUntil(long due)
{
    while (true)
    {
        var ahead = due - Stopwatch.GetTimestamp();
        if (ahead <= 0)
        {
            return;
        }

        var ns = ahead * 1_000_000_000 / Stopwatch.Frequency;
        var spec = new Native.Timespec { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
        _ = Native.nanosleep(ref spec, IntPtr.Zero);
    }
}

double Option(string name, double fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

string OptionText(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

/// <summary>One connection's counts and its measured latencies (Stopwatch ticks).</summary>
internal sealed class Result
{
    public long Sent { get; set; }

    public long Ok { get; set; }

    public long Non2xx { get; set; }

    public long Errors { get; set; }

    public Histogram Latencies { get; } = new();

    public Histogram Late { get; } = new();
}

/// <summary>
/// Counts per microsecond below 100 ms, per millisecond from 100 ms to 100 s (fixed memory, however long
/// the run), plus the exact maximum.
/// </summary>
internal sealed class Histogram
{
    private const int Fine = 100_000;
    private const int Buckets = Fine + 99_900;
    private readonly long[] _counts = new long[Buckets + 1];
    private long _max;

    public long Count { get; private set; }

    public void Add(long microseconds)
    {
        microseconds = Math.Max(0, microseconds);
        _counts[microseconds < Fine ? microseconds : Math.Min(Buckets, Fine + (microseconds / 1000) - 100)]++;
        _max = Math.Max(_max, microseconds);
        Count++;
    }

    public static Histogram Merge(IEnumerable<Histogram> parts)
    {
        var merged = new Histogram();
        foreach (var part in parts)
        {
            for (var i = 0; i <= Buckets; i++)
            {
                merged._counts[i] += part._counts[i];
            }

            merged._max = Math.Max(merged._max, part._max);
            merged.Count += part.Count;
        }

        return merged;
    }

    /// <summary>The value (µs) at quantile <paramref name="q"/> (to the bucket); the exact maximum for q = 1.</summary>
    public long Quantile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }

        if (q >= 1)
        {
            return _max;
        }

        var rank = (long)Math.Ceiling(q * Count);
        long seen = 0;
        for (var i = 0; i <= Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(_max, i < Fine ? i : (i - Fine + 100 + 1) * 1000);
            }
        }

        return _max;
    }
}

/// <summary>libc's nanosleep and prctl: sleeps precise to tens of microseconds.</summary>
internal static partial class Native
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = false)]
    internal static partial int nanosleep(ref Timespec request, IntPtr remaining);

    [LibraryImport("libc", SetLastError = false)]
    internal static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
