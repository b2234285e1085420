using Confluent.Kafka;

namespace Beacon.Router.Tests.Sinks.Kafka;

/// <summary>
/// A producer that only takes records: the test decides when and how each delivery is reported,
/// so it can fail a replay part-way with exactly the records it chooses still in flight.
/// </summary>
internal sealed class ScriptedProducer : IProducer<byte[], byte[]>
{
    private readonly List<(Message<byte[], byte[]> Message, Action<DeliveryReport<byte[], byte[]>>? OnDelivery)> _produced = [];
    private int _reported;

    /// <summary>Every record produced, in order.</summary>
    public IReadOnlyList<Message<byte[], byte[]>> Produced => [.. _produced.Select(static p => p.Message)];

    /// <summary>Produced records whose delivery is not reported yet.</summary>
    public int Unreported => _produced.Count - _reported;

    public Handle Handle => throw new NotSupportedException();

    public string Name => nameof(ScriptedProducer);

    /// <summary>Reports the next <paramref name="count"/> unreported deliveries, oldest first, with <paramref name="status"/>.</summary>
    public void Report(int count, PersistenceStatus status)
    {
        for (var i = 0; i < count; i++)
        {
            var (message, onDelivery) = _produced[_reported++];
            onDelivery?.Invoke(new DeliveryReport<byte[], byte[]>
            {
                Message = message,
                Status = status,
                Error = new Error(status == PersistenceStatus.Persisted ? ErrorCode.NoError : ErrorCode.InvalidRecord),
            });
        }
    }

    public void Produce(string topic, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>>? deliveryHandler = null) =>
        _produced.Add((message, deliveryHandler));

    public void Produce(TopicPartition topicPartition, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>>? deliveryHandler = null) =>
        _produced.Add((message, deliveryHandler));

    public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(string topic, Message<byte[], byte[]> message, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(TopicPartition topicPartition, Message<byte[], byte[]> message, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public int Poll(TimeSpan timeout) => 0;

    public int Flush(TimeSpan timeout) => Unreported;

    public void Flush(CancellationToken cancellationToken = default)
    {
    }

    public int AddBrokers(string brokers) => throw new NotSupportedException();

    public void InitTransactions(TimeSpan timeout) => throw new NotSupportedException();

    public void BeginTransaction() => throw new NotSupportedException();

    public void CommitTransaction(TimeSpan timeout) => throw new NotSupportedException();

    public void CommitTransaction() => throw new NotSupportedException();

    public void AbortTransaction(TimeSpan timeout) => throw new NotSupportedException();

    public void AbortTransaction() => throw new NotSupportedException();

    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, IConsumerGroupMetadata groupMetadata, TimeSpan timeout) =>
        throw new NotSupportedException();

    public void Dispose()
    {
    }
}
