using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Unicode;

// PixelRate HOST:PORT RATE [--connections C] [--threads T] [--seconds S] [--warmup S] [--tag T]
// Sends GET pixels at a fixed total RATE (requests/s) spread over C keep-alive connections: connection
// j's k-th request is due at t0 + (k·C + j) / RATE whatever happened before (open loop, like wrk2).
// Latency runs from that due time to the end of the answer, so when an answer is late the requests
// queued behind it count their wait too (no coordinated omission). The client's own lateness (actual
// send − due time) is reported separately, and so is its CPU per request.
//
// Cheap on purpose, since it shares the machine with the server under test: T event-loop threads
// (default 1), each waiting in epoll_pwait2 (nanosecond timeout) for the next due request or an answer,
// one send and one recv system call per pixel, requests formatted into a reused buffer (no allocation
// per pixel). An earlier version ran one blocking thread per connection, and its own scheduling delays
// were most of the tail it measured.
//
// Prints one line: "pixel-rate: rate=… sent=… ok=… non2xx=… errors=… achieved_per_s=… p50_ms=… p90_ms=…
// p99_ms=… p999_ms=… max_ms=… send_late_p50_ms=… send_late_p99_ms=… client_cpu_us=…".
// Pixels carry n=<tag><j>-<k> (unique), so the harness's accounting can count them.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: PixelRate HOST:PORT RATE [--connections C] [--threads T] [--seconds S] [--warmup S] [--tag T]");
    return 2;
}

var endpoint = args[0].Split(':');
var address = IPAddress.Parse(endpoint[0]);
var port = int.Parse(endpoint[1], CultureInfo.InvariantCulture);
var rate = double.Parse(args[1], CultureInfo.InvariantCulture);
var connections = (int)Option("--connections", 32);
var threadCount = Math.Clamp((int)Option("--threads", 1), 1, connections);
var seconds = Option("--seconds", 15);
var warmup = Option("--warmup", 2);
var tag = OptionText("--tag", "r");

// Timer slack 1 ns: a timed wait then wakes within ~10 µs instead of the default 50 µs.
_ = Native.prctl(29 /* PR_SET_TIMERSLACK */, 1, 0, 0, 0);

var totalSeconds = warmup + seconds;
var ticksPerRequest = Stopwatch.Frequency / rate; // between two consecutive due times, over all connections
var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 10);
var measureFrom = start + (long)(warmup * Stopwatch.Frequency);
var end = start + (long)(totalSeconds * Stopwatch.Frequency);
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var results = new Result[threadCount];
var threads = Enumerable.Range(0, threadCount).Select(t => new Thread(() => results[t] = Run(t)) { IsBackground = true }).ToList();
threads.ForEach(static t => t.Start());
threads.ForEach(static t => t.Join());
var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

var latencies = Histogram.Merge(results.Select(static r => r.Latencies));
var late = Histogram.Merge(results.Select(static r => r.Late));
var sent = results.Sum(static r => r.Sent);
var ok = results.Sum(static r => r.Ok);
double Ms(Histogram h, double q) => h.Quantile(q) / 1000.0;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"pixel-rate: rate={rate:F0} connections={connections} threads={threadCount} seconds={seconds:F0} warmup={warmup:F0} sent={sent} ok={ok} " +
    $"non2xx={results.Sum(static r => r.Non2xx)} errors={results.Sum(static r => r.Errors)} measured={latencies.Count} " +
    $"achieved_per_s={latencies.Count / seconds:F0} p50_ms={Ms(latencies, 0.50):F3} p90_ms={Ms(latencies, 0.90):F3} " +
    $"p99_ms={Ms(latencies, 0.99):F3} p999_ms={Ms(latencies, 0.999):F3} max_ms={Ms(latencies, 1):F3} " +
    $"send_late_p50_ms={Ms(late, 0.50):F3} send_late_p99_ms={Ms(late, 0.99):F3} " +
    $"client_cpu_us={(sent > 0 ? cpu.TotalMicroseconds / sent : 0):F2}"));
return 0;

// One event loop over the connections j ≡ t (mod threadCount).
Result Run(int t)
{
    var result = new Result();
    var mine = Enumerable.Range(0, connections).Where(j => j % threadCount == t).Select(j => new Connection(j, address, port)).ToArray();
    var epoll = Native.epoll_create1(0x80000 /* EPOLL_CLOEXEC */);
    if (epoll < 0)
    {
        throw new InvalidOperationException($"epoll_create1: errno {Marshal.GetLastPInvokeError()}");
    }

    for (var i = 0; i < mine.Length; i++)
    {
        mine[i].Due = DueOf(mine[i].Index, 0);
        var registration = new Native.EpollEvent { Events = 0x001 /* EPOLLIN */, Data = (ulong)i };
        if (Native.epoll_ctl(epoll, 1 /* EPOLL_CTL_ADD */, mine[i].Fd, ref registration) != 0)
        {
            throw new InvalidOperationException($"epoll_ctl: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    var ready = new Native.EpollEvent[64];
    while (true)
    {
        // Send every request that is due on a connection with no answer outstanding.
        var now = Stopwatch.GetTimestamp();
        var wake = long.MaxValue;
        var busy = false;
        foreach (var c in mine)
        {
            if (c.Closed || (!c.InFlight && c.Due >= end))
            {
                continue;
            }

            busy = true;
            if (c.InFlight)
            {
                continue;
            }

            if (c.Due > now)
            {
                wake = Math.Min(wake, c.Due);
                continue;
            }

            result.Sent++;
            if (!c.Send(tag, now))
            {
                result.Errors++;
            }
        }

        if (!busy)
        {
            break;
        }

        if (now > end + (10 * Stopwatch.Frequency))
        {
            // An answer 10 s overdue will not come: count what is still outstanding as failed and stop.
            result.Errors += mine.Count(static c => c.InFlight && !c.Closed);
            break;
        }

        // Until the next due request (or, with every connection waiting for an answer, at most 1 s).
        var ns = wake == long.MaxValue ? 1_000_000_000 : Math.Max(0, (wake - Stopwatch.GetTimestamp()) * 1_000_000_000 / Stopwatch.Frequency);
        var timeout = new Native.Timespec { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
        var n = Native.epoll_pwait2(epoll, ready, ready.Length, ref timeout, IntPtr.Zero);
        if (n < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == 4 /* EINTR */)
            {
                continue;
            }

            throw new InvalidOperationException($"epoll_pwait2: errno {errno}");
        }

        for (var e = 0; e < n; e++)
        {
            var c = mine[(int)ready[e].Data];
            switch (c.Receive())
            {
                case Answer.Pending:
                    break;
                case Answer.Closed:
                    result.Errors++;
                    _ = Native.epoll_ctl(epoll, 2 /* EPOLL_CTL_DEL */, c.Fd, ref ready[e]);
                    break;
                case var answer:
                    var done = Stopwatch.GetTimestamp();
                    if (answer == Answer.Success)
                    {
                        result.Ok++;
                    }
                    else
                    {
                        result.Non2xx++;
                    }

                    if (c.Due >= measureFrom)
                    {
                        result.Latencies.Add((done - c.Due) * 1_000_000 / Stopwatch.Frequency);
                        result.Late.Add((c.SentAt - c.Due) * 1_000_000 / Stopwatch.Frequency);
                    }

                    c.Due = DueOf(c.Index, ++c.Number);
                    break;
            }
        }
    }

    foreach (var c in mine)
    {
        c.Dispose();
    }

    _ = Native.close(epoll);
    return result;
}

long DueOf(int j, long k) => start + (long)(((k * connections) + j) * ticksPerRequest);

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

/// <summary>What a read left on a connection.</summary>
internal enum Answer
{
    Pending,
    Success,
    Failure,
    Closed,
}

/// <summary>One keep-alive connection with at most one request outstanding; buffers reused for every pixel.</summary>
internal sealed class Connection : IDisposable
{
    private static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    ];

    private static readonly string[] Events = ["pv", "click", "exp", "pv", "click"];

    private readonly Socket _socket;
    private readonly byte[] _request = new byte[2048];
    private readonly byte[] _answer = new byte[8192];
    private int _filled;

    public Connection(int index, IPAddress address, int port)
    {
        Index = index;
        _socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _socket.Connect(address, port);
        Fd = (int)_socket.Handle;
    }

    public int Index { get; }

    public int Fd { get; }

    /// <summary>The number (k) of the request outstanding or next to send.</summary>
    public long Number { get; set; }

    /// <summary>When request <see cref="Number"/> is due.</summary>
    public long Due { get; set; }

    public long SentAt { get; private set; }

    public bool InFlight { get; private set; }

    public bool Closed { get; private set; }

    /// <summary>Formats request <see cref="Number"/> into the reused buffer and sends it whole; false when the connection failed.</summary>
    public bool Send(string tag, long now)
    {
        var k = Number;
        var j = Index;
        if (!Utf8.TryWrite(_request, CultureInfo.InvariantCulture,
            $"GET /b.gif?e={Events[(int)(k % Events.Length)]}&a=shop&p=web&u=https%3A%2F%2Fshop.example.com%2Fitem%2F{k % 5000}%3Fref%3Dhome&t=1700000000000&uid=u-{j}&sid=s-{k % 97}&spm=a.b.c.{k % 9}&n={tag}{j}-{k + 1} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {UserAgents[(int)((k + j) % UserAgents.Length)]}\r\nReferer: https://shop.example.com/\r\nCookie: bid=0123456789abcdef0123456789ab{j:x4}\r\n\r\n",
            out var length))
        {
            throw new InvalidOperationException("request buffer too small");
        }

        SentAt = now;
        InFlight = true;
        var sent = 0;
        while (sent < length)
        {
            // Blocking send: with one request outstanding the socket buffer always has room.
            var n = (int)Native.send(Fd, ref _request[sent], length - sent, 0x4000 /* MSG_NOSIGNAL */);
            if (n <= 0)
            {
                Closed = true;
                return false;
            }

            sent += n;
        }

        return true;
    }

    /// <summary>Reads what epoll said is there; an answer when a whole response (headers + Content-Length body) has arrived.</summary>
    public Answer Receive()
    {
        var n = (int)Native.recv(Fd, ref _answer[_filled], _answer.Length - _filled, 0x40 /* MSG_DONTWAIT */);
        if (n < 0 && Marshal.GetLastPInvokeError() == 11 /* EAGAIN */)
        {
            return Answer.Pending;
        }

        if (n <= 0 || !InFlight)
        {
            Closed = true; // closed by the server, an error, or bytes nobody asked for
            InFlight = false;
            return Answer.Closed;
        }

        _filled += n;
        var text = _answer.AsSpan(0, _filled);
        var headerEnd = text.IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0)
        {
            return Answer.Pending;
        }

        var total = headerEnd + 4 + ContentLength(text[..headerEnd]);
        if (_filled < total)
        {
            return Answer.Pending;
        }

        var success = text.Length > 12 && text[9] == (byte)'2';
        text[total..].CopyTo(_answer);
        _filled -= total;
        InFlight = false;
        return success ? Answer.Success : Answer.Failure;
    }

    public void Dispose() => _socket.Dispose();

    private static int ContentLength(ReadOnlySpan<byte> head)
    {
        foreach (var range in head.Split("\r\n"u8))
        {
            var line = head[range];
            if (line.Length > 15 && System.Text.Ascii.EqualsIgnoreCase(line[..15], "content-length:"u8))
            {
                return System.Buffers.Text.Utf8Parser.TryParse(line[15..].Trim((byte)' '), out int length, out _) ? length : 0;
            }
        }

        return 0;
    }
}

/// <summary>One event loop's counts and its measured latencies (µs).</summary>
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

/// <summary>The libc calls the event loop needs: epoll with a nanosecond timeout, send/recv on a raw descriptor, prctl.</summary>
internal static partial class Native
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>x86-64's packed <c>struct epoll_event</c> (12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int epoll_ctl(int epoll, int operation, int fd, ref EpollEvent registration);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int epoll_pwait2(int epoll, [Out] EpollEvent[] events, int maxEvents, ref Timespec timeout, IntPtr signals);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint send(int fd, ref byte buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint recv(int fd, ref byte buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = false)]
    internal static partial int close(int fd);

    [LibraryImport("libc", SetLastError = false)]
    internal static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
