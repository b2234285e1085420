using System.Runtime.InteropServices;
using Beacon.Collector.Buffering;
using Beacon.Parser.Input;
using Beacon.Router.Routing;

namespace Beacon.Collector.Tests.Buffering;

public sealed class BeaconRingTests
{
    [Fact]
    public void Records_come_out_in_order_across_many_wrap_arounds()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 4, SlotBytes = 8, ShedP1At = 1 });
        var read = new List<long>();
        for (var i = 0; i < 100; i++)
        {
            Assert.True(Write(ring, Priority.P1, i));
            if (i % 3 == 2)
            {
                Drain(ring, read);
            }
        }

        Drain(ring, read);
        Assert.Equal(Enumerable.Range(0, 100).Select(static i => (long)i), read);
    }

    [Fact]
    public void Capacity_rounds_up_to_a_power_of_two()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 1000 });

        Assert.Equal(1024, ring.Capacity);
    }

    [Fact]
    public void A_slot_grows_for_a_large_record_and_keeps_its_bytes_intact()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 2, SlotBytes = 4 });
        var query = "e=pv&x=" + new string('a', 5000);

        Assert.True(ring.TryClaim(Priority.P0, out var claim));
        claim.Slot.Begin(BeaconTransport.Pixel, 1, Guid.Empty);
        claim.Slot.WriteQuery(query);
        claim.Slot.WriteContext("UA/1.0", "https://ref/", "order", System.Net.IPAddress.Parse("::ffff:10.1.2.3"));
        ring.Publish(claim);

        Assert.True(ring.TryRead(out var slot));
        var raw = slot.AsRawBeacon();
        Assert.Equal(query, System.Text.Encoding.UTF8.GetString(raw.Query));
        Assert.Equal("UA/1.0", System.Text.Encoding.UTF8.GetString(raw.UserAgent));
        Assert.Equal("https://ref/", System.Text.Encoding.UTF8.GetString(raw.Referer));
        Assert.Equal("order", System.Text.Encoding.UTF8.GetString(raw.Route));
        Assert.Equal("10.1.2.3", System.Text.Encoding.UTF8.GetString(raw.ClientAddress));
    }

    [Fact]
    public async Task Concurrent_producers_lose_and_duplicate_nothing()
    {
        const int producers = 4;
        const int perProducer = 50_000;
        using var ring = new BeaconRing(new RingOptions { Capacity = 256, ShedP1At = 1 });
        var seen = new bool[producers * perProducer];
        var received = 0;
        var consumer = Task.Factory.StartNew(() =>
        {
            while (received < seen.Length)
            {
                while (ring.TryRead(out var slot))
                {
                    var id = slot.ReceivedAtMs;
                    Assert.False(seen[id], $"record {id} read twice");
                    seen[id] = true;
                    received++;
                    ring.Release(slot);
                }

                ring.WaitForData(TimeSpan.FromMilliseconds(50));
            }
        }, TaskCreationOptions.LongRunning);

        Parallel.For(0, producers, new ParallelOptions { MaxDegreeOfParallelism = producers }, p =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                // A full ring sheds rather than blocks: retry until the consumer makes room.
                while (!Write(ring, Priority.P0, (p * perProducer) + i))
                {
                    Thread.Yield();
                }
            }
        });
        await consumer.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.All(seen, Assert.True);
        Assert.Equal(seen.Length, ring.Admitted);
    }

    [Theory]
    [InlineData(Priority.P3, 64)]
    [InlineData(Priority.P2, 89)]
    [InlineData(Priority.P1, 115)]
    [InlineData(Priority.P0, 128)]
    public void Each_priority_is_admitted_up_to_its_fill_level(Priority priority, int admitted)
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 128, ShedP3At = 0.5, ShedP2At = 0.7, ShedP1At = 0.9 });
        var count = 0;
        while (Write(ring, priority, count))
        {
            count++;
        }

        Assert.Equal(admitted, count);
        Assert.Equal(1, ring.Shed(priority));
    }

    [Fact]
    public void A_filling_ring_sheds_lower_priorities_while_higher_ones_still_get_in()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 128, ShedP3At = 0.5, ShedP2At = 0.7, ShedP1At = 0.9 });
        while (Write(ring, Priority.P1, 0))
        {
        }

        Assert.False(Write(ring, Priority.P3, 0));
        Assert.False(Write(ring, Priority.P2, 0));
        var p0 = 0;
        while (Write(ring, Priority.P0, 0))
        {
            p0++;
        }

        Assert.Equal(128 - 115, p0);
        Assert.Equal(128, ring.Count);

        // Draining makes room again.
        Assert.True(ring.TryRead(out var slot));
        ring.Release(slot);
        Assert.True(Write(ring, Priority.P0, 1));
    }

    [Fact]
    public void Shed_records_are_counted_per_priority()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 4, ShedP3At = 0.25, ShedP2At = 0.5, ShedP1At = 0.75 });
        while (Write(ring, Priority.P0, 0))
        {
        }

        for (var i = 0; i < 3; i++)
        {
            Write(ring, Priority.P3, 0);
        }

        Write(ring, Priority.P2, 0);

        Assert.Equal(3, ring.Shed(Priority.P3));
        Assert.Equal(1, ring.Shed(Priority.P2));
        Assert.Equal(0, ring.Shed(Priority.P1));
        Assert.Equal(1, ring.Shed(Priority.P0));
    }

    [Fact]
    public void An_unfinished_record_is_marked_incomplete_not_half_read()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 4 });
        Assert.True(ring.TryClaim(Priority.P1, out var claim));
        claim.Slot.Begin(BeaconTransport.Pixel, 1, Guid.Empty);
        ring.Publish(claim); // as the edge's finally does when a copy throws

        Assert.True(ring.TryRead(out var slot));
        Assert.False(slot.IsComplete);
    }

    [Fact]
    public async Task The_consumer_is_woken_by_a_publish()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 4 });
        var waiter = Task.Factory.StartNew(() =>
        {
            while (!ring.TryRead(out _))
            {
                ring.WaitForData(TimeSpan.FromMinutes(10)); // longer than the test waits: only a publish can end it in time
            }
        }, TaskCreationOptions.LongRunning);

        Assert.True(Write(ring, Priority.P1, 1));

        await waiter.WaitAsync(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Head_and_tail_sit_alone_on_their_cache_lines()
    {
        Assert.Equal(128, Marshal.SizeOf<PaddedSequence>());
        Assert.Equal(56, (int)Marshal.OffsetOf<PaddedSequence>(nameof(PaddedSequence.Value)));
    }

    [Fact]
    public void A_batch_is_admitted_whole_up_to_the_fill_level_and_a_refused_one_is_counted_record_by_record()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 8 });

        Assert.True(ring.TryClaimMany(Priority.P0, 6, out var first));
        Assert.Equal(0, first);
        Assert.False(ring.TryClaimMany(Priority.P0, 3, out _)); // 6 + 3 > 8: none of it
        Assert.Equal(3, ring.Shed(Priority.P0));
        Assert.Equal(6, ring.Count);

        // A batch that fills the ring exactly still fits.
        Assert.True(ring.TryClaimMany(Priority.P0, 2, out var second));
        Assert.Equal(6, second);
        Assert.Equal(8, ring.Count);
        Assert.Equal(3, ring.Shed(Priority.P0));
    }

    [Fact]
    public void A_consumer_that_parks_after_a_publish_returns_without_waiting_for_another()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 4 });
        Assert.True(Write(ring, Priority.P1, 1));
        using var returned = new ManualResetEventSlim();
        var consumer = new Thread(() =>
        {
            ring.WaitForData(TimeSpan.FromMinutes(10)); // the record is already there: only its re-check can end this in time
            returned.Set();
        }) { IsBackground = true };

        consumer.Start();

        Assert.True(returned.Wait(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void A_parked_consumer_is_woken_by_the_next_publish()
    {
        using var ring = new BeaconRing(new RingOptions { Capacity = 4 });
        using var returned = new ManualResetEventSlim();
        var consumer = new Thread(() =>
        {
            ring.WaitForData(TimeSpan.FromMinutes(10));
            returned.Set();
        }) { IsBackground = true };
        consumer.Start();

        // Blocked (or spin-sleeping) inside the wait, past its re-check of the empty ring: only the publish's wake-up can end it in time.
        while ((consumer.ThreadState & ThreadState.WaitSleepJoin) == 0)
        {
            Thread.Yield();
        }

        Assert.True(Write(ring, Priority.P1, 1));

        Assert.True(returned.Wait(TimeSpan.FromMinutes(1)));
    }

    private static bool Write(BeaconRing ring, Priority priority, long id)
    {
        if (!ring.TryClaim(priority, out var claim))
        {
            return false;
        }

        claim.Slot.Begin(BeaconTransport.Pixel, id, Guid.Empty);
        claim.Slot.WriteQuery("e=pv");
        claim.Slot.WriteContext("", "", "", null);
        ring.Publish(claim);
        return true;
    }

    private static void Drain(BeaconRing ring, List<long> into)
    {
        while (ring.TryRead(out var slot))
        {
            into.Add(slot.ReceivedAtMs);
            ring.Release(slot);
        }
    }
}
