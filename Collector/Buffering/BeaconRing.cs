using System.Numerics;
using Beacon.Router.Routing;

namespace Beacon.Collector.Buffering;

/// <summary>
/// A bounded, lock-free, multi-producer single-consumer ring of pre-allocated <see cref="RingSlot"/>s
/// (Vyukov's bounded queue: one sequence per slot, a CAS on the tail to claim). Producers never
/// block: when the ring is too full for a record's priority the record is shed and counted. Lower
/// priorities are shed at lower fill levels, so P0 always finds room before anything else does.
/// </summary>
public sealed class BeaconRing : IDisposable
{
    private readonly RingSlot[] _slots;
    private readonly long _mask;
    private readonly long[] _admitBelow;
    private readonly long[] _shed;
    private readonly ManualResetEventSlim _dataAvailable = new(initialState: false);
    private PaddedSequence _tail;
    private PaddedSequence _head;
    private int _consumerWaiting;

    public BeaconRing(RingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Capacity, 2);
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)options.Capacity);
        _slots = new RingSlot[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _slots[i] = new RingSlot(i, options.SlotBytes);
        }

        _mask = capacity - 1;
        _admitBelow = new long[Enum.GetValues<Priority>().Length];
        _admitBelow[(int)Priority.P0] = capacity;
        _admitBelow[(int)Priority.P1] = Threshold(options.ShedP1At, capacity);
        _admitBelow[(int)Priority.P2] = Threshold(options.ShedP2At, capacity);
        _admitBelow[(int)Priority.P3] = Threshold(options.ShedP3At, capacity);
        _shed = new long[_admitBelow.Length];
    }

    public int Capacity => _slots.Length;

    /// <summary>Records claimed and not yet released by the consumer.</summary>
    public long Count => Volatile.Read(ref _tail.Value) - Volatile.Read(ref _head.Value);

    /// <summary>Records ever admitted: every one of them is read by the consumer exactly once.</summary>
    public long Admitted => Volatile.Read(ref _tail.Value);

    public long Shed(Priority priority) => Volatile.Read(ref _shed[(int)priority]);

    /// <summary>
    /// Claims a slot for a record of <paramref name="priority"/>. On true the caller fills
    /// <see cref="RingClaim.Slot"/> and must call <see cref="Publish"/> (in a finally); on false
    /// the record was shed and counted.
    /// </summary>
    public bool TryClaim(Priority priority, out RingClaim claim)
    {
        var admitBelow = _admitBelow[(int)priority];
        while (true)
        {
            var position = Volatile.Read(ref _tail.Value);
            var slot = _slots[position & _mask];
            var sequence = Volatile.Read(ref slot.Sequence);
            if (position - Volatile.Read(ref _head.Value) >= admitBelow || sequence < position)
            {
                Interlocked.Increment(ref _shed[(int)priority]);
                claim = default;
                return false;
            }

            if (sequence == position && Interlocked.CompareExchange(ref _tail.Value, position + 1, position) == position)
            {
                slot.Priority = priority;
                claim = new RingClaim(position, slot);
                return true;
            }

            // Another producer took this position first; try the next one.
        }
    }

    /// <summary>
    /// Claims <paramref name="count"/> consecutive slots at once, or none: a batch is admitted whole or
    /// refused (its client retries it), never half-admitted. Admission uses <paramref name="priority"/>'s
    /// fill threshold for the whole run. On true the caller fills and publishes every position from
    /// <paramref name="first"/> (see <see cref="ClaimAt"/>); the consumer waits for each in order.
    /// </summary>
    public bool TryClaimMany(Priority priority, int count, out long first)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var admitBelow = _admitBelow[(int)priority];
        while (true)
        {
            var position = Volatile.Read(ref _tail.Value);

            // Every slot below head + capacity has been released (Release writes the slot before the head).
            if (position + count - Volatile.Read(ref _head.Value) > admitBelow)
            {
                Interlocked.Add(ref _shed[(int)priority], count);
                first = 0;
                return false;
            }

            if (Interlocked.CompareExchange(ref _tail.Value, position + count, position) == position)
            {
                first = position;
                return true;
            }
        }
    }

    /// <summary>The claim for one position of a <see cref="TryClaimMany"/> run.</summary>
    public RingClaim ClaimAt(long position, Priority priority)
    {
        var slot = _slots[position & _mask];
        slot.Priority = priority;
        return new RingClaim(position, slot);
    }

    /// <summary>Hands a filled slot to the consumer.</summary>
    public void Publish(in RingClaim claim)
    {
        Volatile.Write(ref claim.Slot.Sequence, claim.Position + 1);

        // Full fence: the publish must be visible before we look at whether the consumer sleeps,
        // or both sides could miss each other (it re-checks the ring after announcing it waits).
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _consumerWaiting) != 0 && Interlocked.Exchange(ref _consumerWaiting, 0) != 0)
        {
            _dataAvailable.Set();
        }
    }

    /// <summary>The next published record, for the single consumer; release it when done.</summary>
    public bool TryRead(out RingSlot slot)
    {
        var head = _head.Value;
        slot = _slots[head & _mask];
        return Volatile.Read(ref slot.Sequence) == head + 1;
    }

    /// <summary>Gives the slot read last back to producers.</summary>
    public void Release(RingSlot slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var head = _head.Value;
        Volatile.Write(ref slot.Sequence, head + _slots.Length);
        Volatile.Write(ref _head.Value, head + 1);
    }

    /// <summary>Parks the consumer until a record is published, <see cref="Wake"/> is called, or the timeout passes.</summary>
    public void WaitForData(TimeSpan timeout)
    {
        _dataAvailable.Reset();
        Interlocked.Exchange(ref _consumerWaiting, 1);
        if (!TryRead(out _))
        {
            _dataAvailable.Wait(timeout);
        }

        Volatile.Write(ref _consumerWaiting, 0);
    }

    /// <summary>Wakes a parked consumer, e.g. to notice a shutdown.</summary>
    public void Wake() => _dataAvailable.Set();

    public void Dispose() => _dataAvailable.Dispose();

    private static long Threshold(double fraction, int capacity) =>
        fraction is > 0 and <= 1
            ? Math.Max(1, (long)(fraction * capacity))
            : throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Shed thresholds are fractions of the capacity in (0, 1].");
}
