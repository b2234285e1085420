using Beacon.Router.Sinks;

namespace Beacon.Router.Tests.Sinks;

public sealed class PendingAcknowledgementsTests
{
    [Fact]
    public void Each_waiter_is_acknowledged_its_own_records_when_batches_interleave()
    {
        var pending = new PendingAcknowledgements();
        var first = new CountingAcknowledgement();
        var second = new CountingAcknowledgement();
        foreach (var waiter in new[] { first, first, second, first, second, second, second })
        {
            pending.Add(waiter);
        }

        pending.AcknowledgeAll();

        Assert.Equal(3, first.Acknowledged);
        Assert.Equal(4, second.Acknowledged);
        Assert.True(pending.IsEmpty);
    }

    [Fact]
    public void A_waiting_record_makes_the_flush_durable_and_the_flush_says_so()
    {
        var pending = new PendingAcknowledgements();
        var asked = new List<bool>();

        Assert.False(pending.Flush(durable: false, asked.Add));
        Assert.True(pending.Flush(durable: true, asked.Add));
        pending.Add(new CountingAcknowledgement());
        Assert.True(pending.Flush(durable: false, asked.Add));

        Assert.Equal([false, true, true], asked);
    }

    [Fact]
    public void A_flush_that_throws_fails_every_waiting_record_once_and_acknowledges_none()
    {
        var pending = new PendingAcknowledgements();
        var waiter = new CountingAcknowledgement();
        pending.Add(waiter);
        pending.Add(waiter);

        Assert.Throws<IOException>(() => pending.Flush(durable: false, static _ => throw new IOException("disk full")));
        Assert.Equal(2, waiter.Failed);
        Assert.True(pending.IsEmpty);

        // The next flush succeeds: the failed records are not acknowledged after all, nor failed twice.
        pending.Flush(durable: true, static _ => { });
        Assert.Equal(0, waiter.Acknowledged);
        Assert.Equal(2, waiter.Failed);
    }
}
