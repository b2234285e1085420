using Beacon.Router.Segments;
using Beacon.Router.Spooling;
using Confluent.Kafka;

namespace Beacon.Router.Sinks.Kafka;

/// <summary>
/// Sends spooled records back to Kafka: the most important lane first, oldest segment first, at a
/// bounded rate. A segment is deleted only when Kafka acknowledged every record in it; if any
/// delivery fails the whole segment is replayed later (what was acknowledged is counted as
/// duplicates: same event ids). While Kafka is failing, one record is tried per probe interval.
/// Driven from the pipeline thread, like the spool it reads.
/// </summary>
internal sealed class SpoolReplayer(
    IProducer<byte[], byte[]> producer,
    Spool spool,
    SpoolOptions options,
    KafkaHealth health,
    KafkaSinkCounters counters,
    KafkaHeaderCache headers,
    TimeProvider time) : IDisposable
{
    private Batch? _batch;
    private long _lastStep = time.GetTimestamp();
    private long _lastProbe;
    private double _allowance;

    public void Step()
    {
        var now = time.GetTimestamp();
        var elapsed = time.GetElapsedTime(_lastStep, now);
        _lastStep = now;
        if (_batch is { IsFinished: true })
        {
            Finish(_batch);
        }

        if (_batch is null && !TryStart())
        {
            _allowance = 0;
            return;
        }

        var batch = _batch!;
        if (batch.HasFailures || batch.ReadAll)
        {
            return; // waiting for the last deliveries of this segment
        }

        int quota;
        if (health.IsHealthy)
        {
            _allowance = Math.Min(_allowance + (elapsed.TotalSeconds * options.ReplayRecordsPerSecond), options.ReplayRecordsPerSecond);
            quota = (int)_allowance;
            _allowance -= quota;
        }
        else
        {
            if (batch.InFlight > 0 || time.GetElapsedTime(_lastProbe, now) < options.ProbeInterval)
            {
                return;
            }

            _lastProbe = now;
            quota = 1;
        }

        Produce(batch, quota);
    }

    public void Dispose() => _batch?.Dispose();

    private void Produce(Batch batch, int quota)
    {
        for (var sent = 0; sent < quota; sent++)
        {
            if (batch.Pending is null)
            {
                if (!batch.Cursor.TryRead(out var record))
                {
                    batch.ReadAll = true;
                    return;
                }

                batch.Pending = ToMessage(batch.Lane, record);
            }

            try
            {
                producer.Produce(batch.Lane.Topic, batch.Pending, batch.OnDelivery);
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                return; // the producer is busy with live traffic; the pending record goes next step
            }

            batch.Pending = null;
            batch.CountProduced();
        }
    }

    private bool TryStart()
    {
        foreach (var lane in spool.Lanes)
        {
            var segment = lane.Log.OldestClosedSegment;
            if (segment is null && lane.Log.Seal())
            {
                segment = lane.Log.OldestClosedSegment;
            }

            if (segment is not null)
            {
                spool.Pinned = segment;
                _batch = new Batch(lane, segment, health);
                return true;
            }
        }

        return false;
    }

    private void Finish(Batch batch)
    {
        if (batch.HasFailures)
        {
            counters.CountReplayDuplicates(batch.Acknowledged);
            spool.Pinned = null;
        }
        else
        {
            spool.Commit(batch.Lane, batch.Segment);
        }

        batch.Dispose();
        _batch = null;
    }

    private Message<byte[], byte[]> ToMessage(SpoolLane lane, SegmentRecord record)
    {
        if (!SpoolEntry.TryRead(record.Value.Span, out var route, out var sampleRate, out var value))
        {
            throw new InvalidDataException($"Spooled record {record.Number} of {lane.Topic} is not a spool entry.");
        }

        return new Message<byte[], byte[]>
        {
            Key = record.Key.IsEmpty ? null! : record.Key.ToArray(),
            Value = value.ToArray(),
            Timestamp = new Timestamp(record.TimestampMs, TimestampType.CreateTime),
            Headers = headers.Get(lane.Priority, route, sampleRate),
        };
    }

    /// <summary>One segment on its way back to Kafka; deliveries are counted on librdkafka's thread.</summary>
    private sealed class Batch : IDisposable
    {
        private long _produced;
        private long _acknowledged;
        private long _failed;

        public Batch(SpoolLane lane, string segment, KafkaHealth health)
        {
            Lane = lane;
            Segment = segment;
            Cursor = new SegmentCursor(Path.GetDirectoryName(segment)!, segment);
            OnDelivery = report =>
            {
                if (report.Status == PersistenceStatus.Persisted)
                {
                    Interlocked.Increment(ref _acknowledged);
                    health.Succeeded();
                }
                else
                {
                    Interlocked.Increment(ref _failed);
                    health.Failed();
                }
            };
        }

        public SpoolLane Lane { get; }

        public string Segment { get; }

        public SegmentCursor Cursor { get; }

        public Action<DeliveryReport<byte[], byte[]>> OnDelivery { get; }

        public Message<byte[], byte[]>? Pending { get; set; }

        public bool ReadAll { get; set; }

        public long Acknowledged => Volatile.Read(ref _acknowledged);

        public bool HasFailures => Volatile.Read(ref _failed) > 0;

        public long InFlight => _produced - Acknowledged - Volatile.Read(ref _failed);

        public bool IsFinished => (ReadAll || HasFailures) && InFlight == 0;

        public void CountProduced() => _produced++;

        public void Dispose() => Cursor.Dispose();
    }
}
