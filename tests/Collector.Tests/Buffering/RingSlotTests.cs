using System.Buffers;
using System.Text;
using Beacon.Collector.Batch;
using Beacon.Collector.Buffering;
using Beacon.Parser.Input;
using Beacon.Router.Routing;

namespace Beacon.Collector.Tests.Buffering;

public sealed class RingSlotTests
{
    [Fact]
    public void A_query_of_multi_byte_characters_grows_the_slot_for_its_utf8_bytes()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 2, SlotBytes = 8 });
        var query = "q=" + new string('é', 5); // 7 chars, 12 UTF-8 bytes

        var slot = WriteAndRead(ring, s =>
        {
            s.WriteQuery(query);
            s.WriteContext("", "", "", null);
        });

        Assert.Equal(query, Encoding.UTF8.GetString(slot.AsRawBeacon().Query));
    }

    [Fact]
    public void A_body_after_a_url_query_that_fills_the_slot_leaves_room_for_the_ampersand()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 2, SlotBytes = 4 });
        var body = new ReadOnlySequence<byte>("b=c"u8.ToArray()); // 1 + '&' + 3 = 5 bytes in a 4-byte slot

        var slot = WriteAndRead(ring, s =>
        {
            s.WriteQuery("a", body);
            s.WriteContext("", "", "", null);
        });

        Assert.Equal("a&b=c", Encoding.UTF8.GetString(slot.AsRawBeacon().Query));
    }

    [Fact]
    public void A_body_without_a_url_query_gets_no_leading_ampersand()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 2 });

        var slot = WriteAndRead(ring, s =>
        {
            s.WriteQuery("", new ReadOnlySequence<byte>("e=pv"u8.ToArray()));
            s.WriteContext("", "", "", null);
        });

        Assert.Equal("e=pv", Encoding.UTF8.GetString(slot.AsRawBeacon().Query));
    }

    [Theory]
    [InlineData("", "e=pv", "e=pv")]
    [InlineData("aid=x", "", "aid=x")]
    [InlineData("aid=x", "e=pv", "aid=x&e=pv")]
    public void Batch_parameters_are_joined_by_one_ampersand_only_when_both_sides_have_some(string common, string own, string expected)
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 2, SlotBytes = 4 });

        var slot = WriteAndRead(ring, s =>
        {
            s.WriteParameters(Encoding.UTF8.GetBytes(common), Encoding.UTF8.GetBytes(own));
            s.WriteContext("", "", "", null);
        });

        Assert.Equal(expected, Encoding.UTF8.GetString(slot.AsRawBeacon().Query));
    }

    [Fact]
    public void The_forwarding_headers_come_back_apart()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 2 });

        var slot = WriteAndRead(ring, s =>
        {
            s.WriteQuery("e=pv");
            s.WriteContext("UA", "", "r", System.Net.IPAddress.Loopback, "203.0.113.7", "for=198.51.100.1");
        });

        var raw = slot.AsRawBeacon();
        Assert.Equal("127.0.0.1", Encoding.UTF8.GetString(raw.ClientAddress));
        Assert.Equal("203.0.113.7", Encoding.UTF8.GetString(raw.ForwardedFor));
        Assert.Equal("for=198.51.100.1", Encoding.UTF8.GetString(raw.Forwarded));
    }

    [Fact]
    public void A_reused_slot_whose_producer_failed_mid_copy_is_incomplete_and_carries_no_earlier_acknowledgement()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 2 });
        var batch = new BatchCompletion(1);
        for (var i = 0; i < ring.Capacity; i++)
        {
            // Every slot once holds a whole record waiting for a batch's acknowledgement.
            Assert.True(ring.TryClaim(Priority.P1, out var claim));
            claim.Slot.Begin(BeaconTransport.Batch, i, Guid.Empty, acknowledgement: batch);
            claim.Slot.WriteQuery("e=pv");
            claim.Slot.WriteContext("", "", "", null);
            ring.Publish(claim);
            Assert.True(ring.TryRead(out var done));
            ring.Release(done);
        }

        // The next record in the first slot again: a pixel whose copy throws right after Begin.
        Assert.True(ring.TryClaim(Priority.P1, out var again));
        again.Slot.Begin(BeaconTransport.Pixel, 99, Guid.Empty);
        ring.Publish(again);

        Assert.True(ring.TryRead(out var slot));
        Assert.Equal(99, slot.ReceivedAtMs);
        Assert.False(slot.IsComplete);
        Assert.Null(slot.Acknowledgement);
    }

    private static RingSlot WriteAndRead(BeaconRing ring, Action<RingSlot> write)
    {
        Assert.True(ring.TryClaim(Priority.P1, out var claim));
        claim.Slot.Begin(BeaconTransport.Pixel, 1, Guid.Empty);
        write(claim.Slot);
        ring.Publish(claim);
        Assert.True(ring.TryRead(out var slot));
        return slot;
    }
}
