using System.Net;
using Beacon.Collector.Buffering;
using Beacon.Parser.Input;
using Beacon.Router.Routing;

namespace Beacon.Benchmarks.Pipeline;

/// <summary>
/// A realistic page-view pixel as the edge copies it into a ring slot: 12 parameters (the same as
/// AllocationTests), percent-escapes and a UTF-8 value, a desktop Chrome User-Agent and a Referer.
/// </summary>
internal static class SamplePixel
{
    public const string Query =
        "e=pv&a=shop&p=web&u=https%3A%2F%2Fshop.example.com%2Fitem%2F42%3Fref%3Dhome&r=https%3A%2F%2Fshop.example.com%2F" +
        "&t=1700000000000&uid=u-1234&sid=s-5678&eid=ev-1&spm=a.b.c.d&color=red+blue&q=caf%C3%A9";

    public const string UserAgent =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

    public const string Referer = "https://shop.example.com/";

    public static readonly IPAddress ClientV4 = IPAddress.Parse("203.0.113.7");

    public static readonly IPAddress ClientV6 = IPAddress.Parse("2001:db8:85a3::8a2e:370:7334");

    /// <summary>A load balancer in the trusted network, forwarding for the real client.</summary>
    public static readonly IPAddress Proxy = IPAddress.Parse("10.1.2.3");

    public const string TrustedNetwork = "10.0.0.0/8";

    public const string ForwardedFor = "203.0.113.7, 10.0.0.5";

    public static readonly Guid Visitor = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");

    /// <summary>Copies the pixel into a claimed slot exactly as <c>PixelEndpoint</c> does, then publishes it.</summary>
    public static void Publish(BeaconRing ring, long receivedAtMs, IPAddress peer, string forwardedFor = "", bool anonymous = false, string userAgent = UserAgent)
    {
        if (!ring.TryClaim(Priority.P1, out var claim))
        {
            throw new InvalidOperationException("The benchmark ring is full: a record was not released.");
        }

        try
        {
            Fill(claim.Slot, receivedAtMs, peer, forwardedFor, anonymous, userAgent);
        }
        finally
        {
            ring.Publish(claim);
        }
    }

    public static void Fill(RingSlot slot, long receivedAtMs, IPAddress peer, string forwardedFor = "", bool anonymous = false, string userAgent = UserAgent)
    {
        slot.Begin(BeaconTransport.Pixel, receivedAtMs, anonymous ? Guid.Empty : Visitor, anonymous);
        slot.WriteQuery(Query);
        slot.WriteContext(userAgent, Referer, "", peer, forwardedFor);
    }
}
