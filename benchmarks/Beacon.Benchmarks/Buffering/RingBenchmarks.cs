using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Beacon.Collector.Buffering;
using Beacon.Parser.Input;
using Beacon.Router.Routing;

namespace Beacon.Benchmarks.Buffering;

/// <summary>
/// Throughput of the ring between the edge and the pipeline: <see cref="Producers"/> threads move
/// <see cref="Records"/> records to one consumer, through <see cref="BeaconRing"/> and, as the
/// baseline, through a bounded <see cref="Channel{T}"/> of the same capacity (SingleReader).
/// Both sides use the same non-blocking calls and the same wait (spin, yield, never sleep): the
/// ring's producers spin on TryClaim and the channel's on TryWrite, the consumer on TryRead.
/// Each ring record sets the slot's header (what <c>RingSlot.Begin</c> writes); each channel
/// record carries the same fields as a <see cref="RecordStamp"/> struct. Neither copies the
/// query bytes: that is the edge's copy, measured in PipelineBenchmarks.FullPath.
/// </summary>
[MemoryDiagnoser]
[OperationsPerSecond]
[UnrollOnce]
public class RingBenchmarks
{
    /// <summary>Records per invocation (2^20, about a million).</summary>
    public const int Records = 1 << 20;

    /// <summary>Slots in the ring and in the channel: small enough to stay in cache, big enough not to throttle.</summary>
    public const int Capacity = 4096;

    private BeaconRing? _ring;
    private Channel<RecordStamp>? _channel;
    private ProducerThreads? _producers;

    /// <summary>Producer threads (the machine has 2 cores; 4 oversubscribes it on purpose, like a busy edge).</summary>
    [Params(1, 2, 4)]
    public int Producers { get; set; }

    [GlobalSetup(Target = nameof(Ring))]
    public void SetupRing()
    {
        _ring = new BeaconRing(new RingOptions { Capacity = Capacity, SlotBytes = 64 });
        _producers = new ProducerThreads(Producers, ProduceIntoRing);
    }

    [GlobalSetup(Target = nameof(Channel))]
    public void SetupChannel()
    {
        _channel = System.Threading.Channels.Channel.CreateBounded<RecordStamp>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            SingleWriter = Producers == 1,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        _producers = new ProducerThreads(Producers, ProduceIntoChannel);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _producers?.Dispose();
        _ring?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Records)]
    public long Channel()
    {
        var reader = _channel!.Reader;
        _producers!.Start();
        long sum = 0;
        var spin = default(SpinWait);
        for (var received = 0; received < Records;)
        {
            if (reader.TryRead(out var stamp))
            {
                sum += stamp.ReceivedAtMs;
                received++;
                spin = default;
            }
            else
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        _producers.WaitFinished();
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public long Ring()
    {
        var ring = _ring!;
        _producers!.Start();
        long sum = 0;
        var spin = default(SpinWait);
        for (var received = 0; received < Records;)
        {
            if (ring.TryRead(out var slot))
            {
                sum += slot.ReceivedAtMs;
                ring.Release(slot);
                received++;
                spin = default;
            }
            else
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        _producers.WaitFinished();
        return sum;
    }

    private int Share(int producer) => Records / Producers + (producer < Records % Producers ? 1 : 0);

    private void ProduceIntoRing(int producer)
    {
        var ring = _ring!;
        var visitor = Guid.NewGuid();
        for (var i = Share(producer); i > 0; i--)
        {
            var spin = default(SpinWait);
            RingClaim claim;
            while (!ring.TryClaim(Priority.P0, out claim))
            {
                spin.SpinOnce(sleep1Threshold: -1); // full: a real edge sheds; here the producer waits its turn
            }

            claim.Slot.Begin(BeaconTransport.Pixel, i, visitor);
            ring.Publish(claim);
        }
    }

    private void ProduceIntoChannel(int producer)
    {
        var writer = _channel!.Writer;
        var visitor = Guid.NewGuid();
        for (var i = Share(producer); i > 0; i--)
        {
            var stamp = new RecordStamp(i, visitor, Priority.P0, BeaconTransport.Pixel);
            var spin = default(SpinWait);
            while (!writer.TryWrite(stamp))
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }
}
