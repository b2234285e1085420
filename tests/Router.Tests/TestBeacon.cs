using System.Text;
using Beacon.Parser;
using Beacon.Parser.Decoding;
using Beacon.Parser.Input;
using Beacon.Parser.Model;

namespace Beacon.Router.Tests;

/// <summary>A request as the edge would hand it over, kept in arrays so a test can build <see cref="RawBeacon"/>s from it.</summary>
internal sealed class TestBeacon
{
    public static readonly Guid DefaultVisitor = Guid.Parse("0123456789abcdef0fedcba987654321");

    public const long DefaultReceivedAtMs = 1_700_000_000_123;

    public ReadOnlyMemory<byte> Query { get; init; }

    public ReadOnlyMemory<byte> UserAgent { get; init; } = "Mozilla/5.0 (X11; Linux x86_64)"u8.ToArray();

    public ReadOnlyMemory<byte> Referer { get; init; }

    public ReadOnlyMemory<byte> Route { get; init; }

    public ReadOnlyMemory<byte> ClientAddress { get; init; } = "203.0.113.7"u8.ToArray();

    public BeaconTransport Transport { get; init; } = BeaconTransport.Pixel;

    public long ReceivedAtMs { get; init; } = DefaultReceivedAtMs;

    public Guid VisitorId { get; init; } = DefaultVisitor;

    public RawBeacon Raw => new(Transport, Query.Span, UserAgent.Span, Referer.Span, Route.Span, ClientAddress.Span, ReceivedAtMs, VisitorId);

    public static TestBeacon Of(string query) => new() { Query = Utf8(query) };

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Runs the real decoder, as the pipeline does.</summary>
    public BeaconEvent Decode()
    {
        var evt = new BeaconEvent();
        new BeaconDecoder(new ParserOptions()).Decode(Raw, evt);
        return evt;
    }
}
