using System.Net;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Order;
using Beacon.Collector.Buffering;
using Beacon.Parser;
using Beacon.Parser.Decoding;
using Beacon.Parser.Model;
using Beacon.Router.Routing;

namespace Beacon.Benchmarks.Pipeline;

/// <summary>
/// What one record costs at each stage the pipeline worker runs, on one thread, with the pixel
/// already in a ring slot (as the worker finds it), plus the pieces decoding is made of. The
/// ring/decode path carries an allocation budget of 0 B per record.
/// </summary>
[MemoryDiagnoser]
[Orderer(SummaryOrderPolicy.Declared)]
public class PipelineBenchmarks
{
    private readonly BeaconEvent _event = new();
    private readonly DiscardingSink _sink = new();
    private readonly byte[] _scratch = new byte[1024];
    private BeaconRing _anonymous = null!;
    private BeaconRing _socketV4 = null!;
    private BeaconRing _behindProxy = null!;
    private BeaconRing _socketV6 = null!;
    private BeaconRing _noUserAgent = null!;
    private BeaconRing _decoded = null!;
    private BeaconRing _roundTrip = null!;
    private BeaconDecoder _decoder = null!;
    private BeaconDecoder _proxyDecoder = null!;
    private EventRouter _router = null!;
    private long _receivedAtMs = 1_700_000_000_500;

    [GlobalSetup]
    public void Setup()
    {
        _decoder = new BeaconDecoder(new ParserOptions());
        var behindProxy = new ParserOptions();
        behindProxy.TrustedProxies.Add(SamplePixel.TrustedNetwork);
        _proxyDecoder = new BeaconDecoder(behindProxy);
        _router = new EventRouter(new RouteTable(new RouteTableOptions()), _sink, new RouterCounters());

        // One published record per ring, read in place again and again: decoding never writes to the slot.
        _anonymous = Holding(SamplePixel.ClientV4, anonymous: true, userAgent: "");
        _socketV4 = Holding(SamplePixel.ClientV4);
        _behindProxy = Holding(SamplePixel.Proxy, SamplePixel.ForwardedFor);
        _socketV6 = Holding(SamplePixel.ClientV6);
        _noUserAgent = Holding(SamplePixel.ClientV4, userAgent: "");
        _decoded = Holding(SamplePixel.ClientV4);
        _roundTrip = new BeaconRing(new RingOptions { Capacity = 1024 });

        // Fail here, not in a report: every fixture must decode as a good record.
        foreach (var (ring, decoder) in new[] { (_anonymous, _decoder), (_socketV4, _decoder), (_behindProxy, _proxyDecoder), (_socketV6, _decoder), (_noUserAgent, _decoder), (_decoded, _decoder) })
        {
            if (!Decode(ring, decoder))
            {
                throw new InvalidOperationException($"The sample pixel was rejected: {_event.RejectReason}.");
            }
        }

        if (PercentDecodeFields() != 12)
        {
            throw new InvalidOperationException("The sample pixel should carry 12 parameters.");
        }

        RouteAndSerialise();
        FullPath();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var ring in new[] { _anonymous, _socketV4, _behindProxy, _socketV6, _noUserAgent, _decoded, _roundTrip })
        {
            ring?.Dispose();
        }
    }

    /// <summary>Part of decoding: splitting the raw query into its 12 key/value pairs, nothing else.</summary>
    [Benchmark]
    public int SplitQuery()
    {
        _decoded.TryRead(out var slot);
        var reader = new QueryStringReader(slot.AsRawBeacon().Query);
        var length = 0;
        while (reader.MoveNext(out var key, out var value))
        {
            length += key.Length + value.Length;
        }

        return length;
    }

    /// <summary>Part of decoding: splitting plus percent-decoding (and UTF-8 checking) every key and value.</summary>
    [Benchmark]
    public int PercentDecodeFields()
    {
        _decoded.TryRead(out var slot);
        var reader = new QueryStringReader(slot.AsRawBeacon().Query);
        var fields = 0;
        while (reader.MoveNext(out var key, out var value))
        {
            PercentDecoder.Decode(key, _scratch, out _);
            PercentDecoder.Decode(value, _scratch, out _);
            fields++;
        }

        return fields;
    }

    /// <summary>
    /// The whole decoder with nothing to enrich: an anonymous-mode pixel (no address resolution)
    /// sent without a User-Agent (no User-Agent enrichment).
    /// </summary>
    [Benchmark]
    [AllocationBudget(0)]
    public bool DecodeOnly() => Decode(_anonymous, _decoder);

    /// <summary>
    /// Decode plus address enrichment of a pixel sent without a User-Agent: beside <see cref="DecodeAndEnrich"/>
    /// in the same run, it shows what the User-Agent adds (validation, copy and any User-Agent enrichment).
    /// </summary>
    [Benchmark]
    [AllocationBudget(0)]
    public bool DecodeAndEnrichWithoutUserAgent() => Decode(_noUserAgent, _decoder);

    /// <summary>
    /// The target case (≤ 300 ns): decode plus enrichment of a typical pixel — the socket's IPv4
    /// address (anonymised), and whatever User-Agent enrichment the decoder does (the same
    /// User-Agent every time, so any User-Agent cache always hits).
    /// </summary>
    [Benchmark(Baseline = true)]
    [AllocationBudget(0)]
    public bool DecodeAndEnrich() => Decode(_socketV4, _decoder);

    /// <summary>Decode plus enrichment behind a trusted load balancer: the client comes from X-Forwarded-For.</summary>
    [Benchmark]
    [AllocationBudget(0)]
    public bool DecodeAndEnrichBehindProxy() => Decode(_behindProxy, _proxyDecoder);

    /// <summary>Decode plus enrichment of an IPv6 client (parsed, anonymised and written on spans).</summary>
    [Benchmark]
    [AllocationBudget(0)]
    public bool DecodeAndEnrichIPv6() => Decode(_socketV6, _decoder);

    /// <summary>Route resolution, JSON serialisation (schema v1) and the hand-off to a sink that discards.</summary>
    [Benchmark]
    [AllocationBudget(0)]
    public long RouteAndSerialise()
    {
        _decoded.TryRead(out var slot);
        _router.Route(slot.AsRawBeacon(), _event);
        return _sink.Bytes;
    }

    /// <summary>The ring alone for one record: the edge claims a slot, copies the request in and publishes; the worker reads and releases.</summary>
    [Benchmark]
    [AllocationBudget(0)]
    public long RingRoundTrip()
    {
        SamplePixel.Publish(_roundTrip, ++_receivedAtMs, SamplePixel.ClientV4);
        _roundTrip.TryRead(out var slot);
        var received = slot.ReceivedAtMs;
        _roundTrip.Release(slot);
        return received;
    }

    /// <summary>
    /// One record through everything after the socket read: the edge claims a slot, copies the
    /// request in and publishes; the worker reads, decodes + enriches, routes + serialises, releases.
    /// </summary>
    [Benchmark]
    [AllocationBudget(0)]
    public long FullPath()
    {
        SamplePixel.Publish(_roundTrip, ++_receivedAtMs, SamplePixel.ClientV4);
        _roundTrip.TryRead(out var slot);
        var raw = slot.AsRawBeacon();
        _decoder.Decode(raw, _event);
        _router.Route(raw, _event);
        _roundTrip.Release(slot);
        return _sink.Bytes;
    }

    private bool Decode(BeaconRing ring, BeaconDecoder decoder)
    {
        ring.TryRead(out var slot);
        return decoder.Decode(slot.AsRawBeacon(), _event);
    }

    private static BeaconRing Holding(IPAddress peer, string forwardedFor = "", bool anonymous = false, string userAgent = SamplePixel.UserAgent)
    {
        var ring = new BeaconRing(new RingOptions { Capacity = 2 });
        SamplePixel.Publish(ring, 1_700_000_000_123, peer, forwardedFor, anonymous, userAgent);
        return ring;
    }
}
